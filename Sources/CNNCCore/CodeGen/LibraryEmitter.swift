import CNNCRuntime

/// Writes the generated package's public Swift API: one `Sendable` value type in the spirit of Core
/// ML's generated classes, over the compiled network's C entry point. Only glue lives here (checks,
/// preprocessing, results), so an app's debug build runs the network as fast as its release build.
struct LibraryEmitter {
    let network: CheckedNetwork
    let plan: ExecutionPlan
    let names: GeneratedNames
    let header: String

    private var type: String { names.module }

    private var endsInSoftmax: Bool {
        if case .activation(.softmax) = network.layers[network.outputLayer].operation { return true }
        return false
    }

    func emit() -> String {
        let interface = network.interface
        let analysis = NetworkAnalysis(network)
        let input = network.input, output = network.output
        func shape(_ s: FeatureShape) -> String { "FeatureShape(channels: \(s.channels), height: \(s.height), width: \(s.width))" }
        func floats(_ values: [Float]) -> String { "[" + values.map(swiftFloatLiteral).joined(separator: ", ") + "]" }
        var p = CodePrinter()
        p.print(header)
        p.print()
        p.print("import \(names.kernelsModule)")
        p.print("import \(names.runtimeModule)")
        p.print()
        p.print("/// \(commentSafe(network.name)): \(input) → \(output), \(analysis.parameters.grouped) parameters, \(analysis.macs.grouped) MACs per inference.")
        p.print("///")
        p.print("/// A value to keep and share: `Sendable`, and safe to call from any number of tasks or threads at")
        p.print("/// once. Each call borrows a scratch arena of \(plan.arenaBytes.grouped) bytes from a pool the copies of this value share,")
        p.print("/// so calls never wait for each other and, once warm, allocate nothing but their result.")
        p.print("///")
        p.print("/// ```swift")
        p.print("/// let network = \(type)()")
        p.print("/// let prediction = try network.predict(contentsOf: \"image.\(input.channels == 3 ? "ppm" : "pgm")\")[0]")
        p.print("/// print(prediction.top(3))")
        p.print("/// ```")
        p.block("public struct \(type): Sendable") { p in
            p.print("/// What a call returns: the values, the labels, `top(k)`.")
            p.print("public typealias Prediction = \(names.runtimeModule).Prediction")
            p.print("/// What a call throws: a one-line message naming the problem.")
            p.print("public typealias Failure = \(names.runtimeModule).RuntimeError")
            p.print()
            p.print("/// One input sample (C, H, W).")
            p.print("public static let inputShape = \(shape(input))")
            p.print("/// One output sample.")
            p.print("public static let outputShape = \(shape(output))")
            p.print("/// Floats in one input sample.")
            p.print("public static let inputCount = \(input.count)")
            p.print("/// Floats in one output sample.")
            p.print("public static let outputCount = \(output.count)")
            p.print("/// The spec's `labels:`, one per output value.")
            p.print("public static let labels: [String]? = \(interface.labels.map { "[" + $0.map(quoted).joined(separator: ", ") + "]" } ?? "nil")")
            p.print("/// The spec's `preprocess:`, which the image entry points apply (`x' = (x·scale − mean) / std`, x in [0, 1]).")
            p.print("public static let preprocess = Preprocess(scale: \(swiftFloatLiteral(interface.preprocess.scale)), mean: \(floats(interface.preprocess.mean)), std: \(floats(interface.preprocess.std)))")
            p.print("/// Whether the outputs are probabilities (the network ends in softmax).")
            p.print("public static let outputIsProbability = \(endsInSoftmax)")
            p.print()
            p.print("private let arenas: ArenaPool")
            p.print()
            p.print("/// Cheap: arenas are allocated by the first calls that need them.")
            p.block("public init()") { p in
                p.print("arenas = ArenaPool(bytes: Int(\(names.cMacro("ARENA_BYTES"))))")
            }
            p.print()
            p.print("/// One sample of `inputCount` floats (C, H, W order, already preprocessed).")
            p.block("public func predict(_ input: [Float]) throws(Failure) -> Prediction") { p in
                p.print("try input.withUnsafeBufferPointer { input throws(Failure) in try predict(input) }")
            }
            p.print()
            p.print("/// One sample of `inputCount` floats (C, H, W order, already preprocessed).")
            p.block("public func predict(_ input: UnsafeBufferPointer<Float>) throws(Failure) -> Prediction") { p in
                p.print("var values = [Float](repeating: 0, count: Self.outputCount)")
                p.print("try values.withUnsafeMutableBufferPointer { output throws(Failure) in try predict(input, into: output) }")
                p.print("return prediction(values)")
            }
            p.print()
            p.print("/// One sample into a buffer you own: `inputCount` floats in, `outputCount` floats out; allocates nothing.")
            p.block("public func predict(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) throws(Failure)") { p in
                p.block("guard input.count == Self.inputCount, let inputBase = input.baseAddress else") { p in
                    p.print("throw Failure(\"\(commentSafe(type)): expected \\(Self.inputCount) input values (\\(Self.inputShape)), got \\(input.count)\")")
                }
                p.block("guard output.count == Self.outputCount, let outputBase = output.baseAddress else") { p in
                    p.print("throw Failure(\"\(commentSafe(type)): expected room for \\(Self.outputCount) output values, got \\(output.count)\")")
                }
                p.print("predictUnchecked(inputBase, into: outputBase)")
            }
            p.print()
            p.print("/// One sample through raw pointers, with no size check: `inputCount` floats in, `outputCount` out.")
            p.block("public func predictUnchecked(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>)") { p in
                p.print("arenas.withArena { arena in \(names.cFunction("predict"))(input, output, arena) }")
            }
            p.print()
            p.print("/// An image as 8-bit pixels, as a camera buffer or a PGM/PPM file holds them: rows top to bottom,")
            p.print("/// channels interleaved (gray, or R, G, B). Its size must be the input's (\(input.width)×\(input.height), \(input.channels) channel\(input.channels == 1 ? "" : "s"));")
            p.print("/// the spec's preprocessing is applied, as `cnnc run` does.")
            p.block("public func predict(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int) throws(Failure) -> Prediction") { p in
                p.block("guard width == Self.inputShape.width, height == Self.inputShape.height, channels == Self.inputShape.channels else") { p in
                    p.print("throw Failure(\"\(commentSafe(type)): a \\(width)×\\(height) image with \\(channels) channel(s) given; the network takes \\(Self.inputShape.width)×\\(Self.inputShape.height) with \\(Self.inputShape.channels)\")")
                }
                p.print("return try predict(Self.preprocess.input(pixels: pixels, shape: Self.inputShape))")
            }
            p.print()
            p.print("/// A file, as `cnnc run` reads it: a PGM/PPM image (preprocessed), an `.npy` array or raw float32.")
            p.print("/// Files holding several samples give one prediction per sample.")
            p.block("public func predict(contentsOf path: String) throws(Failure) -> [Prediction]") { p in
                p.print("let batch = try InputFile.read(path: path, shape: Self.inputShape, preprocess: Self.preprocess)")
                p.print("""
                    return try batch.values.withUnsafeBufferPointer { values throws(Failure) in
                        try (0..<batch.count).map { sample throws(Failure) in
                            try predict(UnsafeBufferPointer(rebasing: values[sample * Self.inputCount..<(sample + 1) * Self.inputCount]))
                        }
                    }
                    """)
            }
            p.print()
            p.print("/// Many samples, spread over the cooperative thread pool (one task per core); results in input order.")
            p.block("public func predict(batch inputs: [[Float]]) async throws(Failure) -> [Prediction]") { p in
                p.block("if let wrong = inputs.firstIndex(where: { $0.count != Self.inputCount })") { p in
                    p.print("throw Failure(\"\(commentSafe(type)): batch sample \\(wrong) has \\(inputs[wrong].count) values, expected \\(Self.inputCount)\")")
                }
                p.print("""
                    let tasks = max(1, min(availableCores(), inputs.count))
                    let chunks = await withTaskGroup(of: (Int, [[Float]]).self) { group in
                        for task in 0..<tasks {
                            let range = task * inputs.count / tasks..<(task + 1) * inputs.count / tasks
                            group.addTask {
                                (task, inputs[range].map { input in
                                    var output = [Float](repeating: 0, count: Self.outputCount)
                                    input.withUnsafeBufferPointer { input in
                                        output.withUnsafeMutableBufferPointer { output in predictUnchecked(input.baseAddress!, into: output.baseAddress!) }
                                    }
                                    return output
                                })
                            }
                        }
                        var chunks = [[[Float]]](repeating: [], count: tasks)
                        for await (task, outputs) in group { chunks[task] = outputs }
                        return chunks
                    }
                    return chunks.joined().map(prediction)
                    """)
            }
            p.print()
            p.block("private func prediction(_ values: [Float]) -> Prediction") { p in
                p.print("Prediction(values: values, shape: Self.outputShape, labels: Self.labels, isProbability: Self.outputIsProbability)")
            }
        }
        return p.text
    }
}
