/// What a network offers to the outside: input and output shapes, image preprocessing, and labels
/// for the output channels.
public struct NetworkInterface: Hashable, Sendable {
    public var inputShape: FeatureShape
    public var outputShape: FeatureShape
    public var preprocess: Preprocess
    /// One per output channel (F for a vector result), or nil.
    public var labels: [String]?

    public init(inputShape: FeatureShape, outputShape: FeatureShape, preprocess: Preprocess = .identity, labels: [String]? = nil) {
        self.inputShape = inputShape
        self.outputShape = outputShape
        self.preprocess = preprocess
        self.labels = labels
    }
}

/// One inference run as asked for on a command line; shared by `cnnc run` and every generated
/// inferencer so both behave the same.
public struct RunRequest: Hashable, Sendable {
    /// Input files, read in order into one batch.
    public var inputs: [String]
    /// Where to write the result; nil prints JSON on standard output.
    public var output: String?
    /// Explicit format; nil chooses by the output's extension (JSON when there is no output).
    public var format: OutputFormat?
    /// Entries in each JSON `top` list.
    public var top: Int

    public init(inputs: [String], output: String? = nil, format: OutputFormat? = nil, top: Int = ResultPresentation.defaultTop) {
        self.inputs = inputs
        self.output = output
        self.format = format
        self.top = top
    }

    /// Checks the request, loads the inputs, runs `predict` once on the whole batch and writes or
    /// renders the result. Returns the text for standard output: the JSON, or one `wrote PATH` line
    /// per file written.
    ///
    /// `predict(input, count, output)` reads `count` consecutive input samples and writes `count`
    /// consecutive output samples.
    public func perform(
        network: NetworkInterface,
        predict: (_ input: UnsafePointer<Float>, _ count: Int, _ output: UnsafeMutablePointer<Float>) -> Void
    ) throws(RuntimeError) -> String {
        if top < 1 { throw RuntimeError("--top needs an integer of at least 1, got '\(top)'") }
        if let labels = network.labels, labels.count != network.outputShape.channels {
            throw RuntimeError(
                "the network has \(network.outputShape.channels) output channels but \(labels.count) labels")
        }
        // Decided first, so a request that cannot be satisfied fails before any work.
        let destination = try ResultPresentation.destination(
            output: output, format: format, outputShape: network.outputShape)

        let inputs = try InputFile.read(paths: self.inputs, shape: network.inputShape, preprocess: network.preprocess)
        if case .file(let path, let format) = destination {
            let written = format == .pgm || format == .ppm ? ResultPresentation.imagePaths(path: path, count: inputs.count) : [path]
            for path in written { try FileIO.refuseOutput(path, overwritingAnyOf: self.inputs) }
        }
        let (outputSize, overflow) = inputs.count.multipliedReportingOverflow(by: network.outputShape.count)
        if overflow { throw RuntimeError("the batch of \(inputs.count) samples is too large") }
        var outputs = [Float](repeating: 0, count: outputSize)
        inputs.values.withUnsafeBufferPointer { input in
            outputs.withUnsafeMutableBufferPointer { output in
                predict(input.baseAddress!, inputs.count, output.baseAddress!)
            }
        }
        let batch = OutputBatch(shape: network.outputShape, count: inputs.count, values: outputs, names: inputs.names)

        switch destination {
        case .standardOutput:
            return ResultPresentation.json(batch, labels: network.labels, top: top)
        case .file(let path, let format):
            let written = try ResultPresentation.write(batch, path: path, format: format, labels: network.labels, top: top)
            return written.filter { !OutputFile.isStandardStream($0) }.map { "wrote \($0)\n" }.joined()
        }
    }
}
