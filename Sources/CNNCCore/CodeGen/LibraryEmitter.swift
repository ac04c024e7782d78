import CNNCRuntime

/// Writes the generated package's public Swift API: the network's description (shapes, labels,
/// preprocessing, its C entry point) and `public typealias <Net> = CompiledNetwork<…>`. Everything a
/// call does lives once in the runtime (`CompiledNetwork`), so this file is data, and only glue runs
/// in the app's own build: its debug build runs the network as fast as its release build.
struct LibraryEmitter {
    let network: CheckedNetwork
    let plan: ExecutionPlan
    let names: GeneratedNames
    let header: String
    /// The hash of what the network's static library is compiled from (`PackageGenerator`).
    let coreFingerprint: String
    let cpu: CPUTarget

    private var endsInSoftmax: Bool {
        if case .activation(.softmax) = network.layers[network.outputLayer].operation { return true }
        return false
    }

    func emit() -> String {
        let interface = network.interface
        let analysis = NetworkAnalysis(network)
        let input = network.input, output = network.output
        let description = names.module + "Description"
        func shape(_ s: FeatureShape) -> String { "FeatureShape(channels: \(s.channels), height: \(s.height), width: \(s.width))" }
        func floats(_ values: [Float]) -> String { "[" + values.map(swiftFloatLiteral).joined(separator: ", ") + "]" }
        var p = CodePrinter()
        p.print(header)
        p.print()
        p.print("import \(names.kernelsModule)")
        p.print("import \(names.runtimeModule)")
        p.print()
        p.print("/// \(commentSafe(network.name)): \(input) → \(output), \(analysis.parameters.grouped) parameters, \(analysis.macs.grouped) MACs per inference;")
        p.print("/// \(plan.arenaBytes.grouped) bytes of scratch memory per concurrent call.")
        p.print("///")
        p.print("/// ```swift")
        p.print("/// let network = \(names.module)()")
        p.print("/// let prediction = try network.predict(contentsOf: \"image.\(input.channels == 3 ? "ppm" : "pgm")\")[0]")
        p.print("/// print(prediction.top(3))")
        p.print("/// ```")
        p.print("///")
        p.print("/// Its calls are `CompiledNetwork`'s (API.md).")
        p.print("public typealias \(names.module) = CompiledNetwork<\(description)>")
        p.print()
        p.print("/// What cnnc compiled: the network's shapes, labels, preprocessing and entry point.")
        p.block("public enum \(description): NetworkDescription") { p in
            p.print("public static let name = \(quoted(names.module))")
            p.print("/// A hash of the compiled network (its kernels, steps, weights and CPU): it changes whenever they do,")
            p.print("/// which makes SwiftPM relink whatever uses this library.")
            p.print("public static let compiledNetworkHash = \(quoted(coreFingerprint))")
            p.print("public static let inputShape = \(shape(input))")
            p.print("public static let outputShape = \(shape(output))")
            p.print("public static let labels: [String]? = \(labelsExpression(interface.labels))")
            p.print("public static let preprocess = Preprocess(scale: \(swiftFloatLiteral(interface.preprocess.scale)), mean: \(floats(interface.preprocess.mean)), std: \(floats(interface.preprocess.std)))")
            p.print("public static let outputIsProbability = \(endsInSoftmax)")
            p.print("public static let arenaBytes = Int(\(names.cMacro("ARENA_BYTES")))")
            p.print("public static let entryPoint: NetworkEntryPoint = \(names.entryPoint)")
            p.print("public static let partEntryPoint: NetworkPartEntryPoint = \(names.partEntryPoint)")
            p.print("public static let splitKernelCount = Int(\(names.cMacro("SPLIT_KERNELS")))")
            p.print("public static let partScratchBytes = Int(\(names.cMacro("PART_SCRATCH_BYTES")))")
            p.print("public static let stepFunction: NetworkStepFunction = \(names.stepFunction)")
            p.print("public static let peakProbe: PeakProbeFunction = \(names.peakProbeFunction)")
            p.print(cpu.withAVX512Variant
                ? "public static var kernelVariant: String { String(cString: \(names.kernelVariantFunction)()) }"
                : "public static let kernelVariant = \(quoted(cpu.name))")
            p.print("/// The steps in order; each one's strategy from the compiled code that runs.")
            p.print("public static let steps: [NetworkStep] = [")
            p.withIndentation { p in
                for (index, step) in plan.steps.enumerated() {
                    let layers = step.layers.isEmpty ? "input" : step.layers.map { network.layers[$0].name }.joined(separator: " + ")
                    let flops = 2 * step.layers.reduce(0) { $0 + analysis.layers[$1].macs }
                    p.print("NetworkStep(layers: \(quoted(layers)), strategy: String(cString: \(names.stepStrategyFunction)(\(index))), flops: \(flops)),")
                }
            }
            p.print("]")
        }
        return p.text
    }
}
