import ArgumentParser
import CNNCCore
import CNNCRuntime

struct InitWeights: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-weights",
        abstract: "Write deterministic random weights for a spec, so it can run without training.",
        discussion: """
            Writes a safetensors file with He-normal weights (std √(2/fan-in)), zero biases, and batchnorm \
            scale 1, shift 0, running mean 0 and variance 1, for every parameter the spec does not give \
            inline. Tensor names and layouts follow PyTorch's state dict (<layer>.weight, <layer>.bias, …). \
            The same seed gives the same bytes on every machine.

            Examples:
              cnnc init-weights models/lenet5.yaml -o lenet5.safetensors
              cnnc init-weights models/mobile_block.yaml -o mb.safetensors \\
                  --seed 7 --randomize-all
            """
    )

    @Argument(help: "The spec file.", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String

    @Option(name: .shortAndLong, help: "The safetensors file to write.")
    var output: String

    @Option(help: "The random seed.")
    var seed: UInt64 = 0

    @Flag(help: "Also draw biases and batchnorm parameters and statistics at random (for testing every code path).")
    var randomizeAll = false

    func run() throws {
        try refuseToOverwrite(output, inputs: [spec])
        let loaded = try loadSpec(spec)
        // Inline values are validated and left out of the file: the spec already has them.
        var binding = WeightBinder.bind(loaded.network, file: nil)
        binding.diagnostics.append(contentsOf: WeightLimits.check(loaded.network))
        DiagnosticsOutput.report(binding.diagnostics.sorted, files: [loaded.pipeline.file])
        if binding.diagnostics.hasErrors { throw ExitStatus.inputErrors }
        let inline = Set(loaded.network.parameterSlots.map(\.name)).subtracting(binding.missing.map(\.name))
        let tensors = WeightInitializer.tensors(for: loaded.network, seed: seed, mode: randomizeAll ? .randomizeAll : .standard,
                                                skipping: inline)
        let metadata = ["format": "pt", "generator": "cnnc init-weights \(CNNCVersion.string)", "seed": String(seed),
                        "network": loaded.network.name, "mode": randomizeAll ? "randomize-all" : "standard"]
        do {
            try SafeTensorsWriter.write(path: output, tensors: tensors, metadata: metadata)
        } catch {
            Console.errorLine("\(error.message)")
            throw ExitStatus.usageOrIO
        }
        let count = tensors.reduce(0) { $0 + $1.values.count }
        if !OutputFile.isStandardStream(output) {
            Console.out("wrote \(output) (\(tensors.count) tensor\(tensors.count == 1 ? "" : "s"), \(count.grouped) values)\n")
        }
    }
}
