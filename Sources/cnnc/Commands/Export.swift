import ArgumentParser
import CNNCCore
import CNNCRuntime

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a spec and its weights as an ONNX model (opset 17).",
        discussion: """
            The model has one input 'input' [N, C, H, W] with a dynamic batch and one output 'output' \
            ([N, F] for a flat result); nodes are named after the spec's layers and initializers after the \
            state-dict names, so Netron shows the spec's network. Layers whose result never reaches the \
            output are left out. ONNX Runtime runs the model with cnnc's results (docs/import.md).

            Examples:
              cnnc export models/lenet5.yaml --weights lenet5.safetensors -o lenet5.onnx
              cnnc export models/blur.yaml -o blur.onnx
            """
    )

    @Argument(help: "The spec file.", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String

    @Option(help: "A safetensors weights file; wins over the spec's 'weights:'.")
    var weights: String?

    @Option(name: .shortAndLong, help: "The .onnx file to write.")
    var output: String

    func run() throws {
        let loaded = try loadSpec(spec)
        let outcome = try loaded.loadWeights(override: weights, requireAll: true)
        guard let weights = outcome.binding.weights else { throw ExitStatus.inputErrors }
        try refuseToOverwrite(output, inputs: [spec, outcome.filePath])
        let model = ONNXExporter.export(loaded.network, weights: weights)
        let bytes: [UInt8]
        do {
            bytes = try ONNXModelFile.bytes(of: model)
        } catch {
            Console.errorLine("\(error.message)")
            throw ExitStatus.inputErrors
        }
        do {
            try FileIO.writeOutput(path: output, bytes: bytes)
        } catch {
            Console.errorLine("\(error.message)")
            throw ExitStatus.usageOrIO
        }
        if !OutputFile.isStandardStream(output) {
            Console.out("wrote \(output): opset \(ONNXExporter.opset), \(model.graph.node.count) nodes, \(model.graph.initializer.count) initializers\n")
        }
    }
}
