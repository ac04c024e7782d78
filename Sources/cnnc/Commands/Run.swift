import ArgumentParser
import CNNCCore
import CNNCRuntime

extension OutputFormat: ExpressibleByArgument {}

struct Run: ParsableCommand, ReportsDiagnostics {
    static let configuration = CommandConfiguration(
        abstract: "Run a network on input files with the reference interpreter.",
        discussion: """
            Inputs: .npy (float32, float64 or uint8; [C,H,W], [N,C,H,W], [H,W] for one channel, [F] or [N,F] for an F×1×1 input), binary \
            PGM/PPM (P5/P6, 8 or 16 bit; pixels scaled to [0,1], then the spec's input.preprocess), and raw \
            little-endian float32 (.f32). Several inputs, or an N-batch .npy, form a batch.

            A flat result prints JSON (values, argmax, top-K with labels); --output writes .npy, or PGM/PPM \
            for a spatial result with 1 or 3 channels. Output files are written atomically.

            Exit status: 0 on success, 1 for a problem with the spec, weights or inputs, 2 for a usage error \
            or an unreadable --weights file.

            Examples:
              cnnc run models/blur.yaml --input photo.pgm --output blurred.pgm
              cnnc init-weights models/lenet5.yaml -o lenet5.safetensors
              cnnc run models/lenet5.yaml --weights lenet5.safetensors \\
                  --input digit.npy --top 3
            """
    )

    @Argument(help: "The spec file.", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String

    @Option(name: .long, parsing: .upToNextOption, help: "Input files (.npy, .pgm, .ppm, .f32).")
    var input: [String] = []

    @Option(help: "A safetensors weights file; wins over the spec's 'weights:'.")
    var weights: String?

    @Option(name: .shortAndLong, help: "Write the result to this file (.npy, .pgm, .ppm, .f32, .json).")
    var output: String?

    @Option(help: "Output format: json, npy, pgm, ppm or f32 (default: from --output's extension, else json).")
    var format: OutputFormat?

    @Option(help: "How many top classes to list per result.")
    var top: Int = ResultPresentation.defaultTop

    @OptionGroup var diagnosticsOptions: DiagnosticsOptions

    func validate() throws {
        if input.isEmpty { throw ValidationError("give at least one --input file") }
        if top < 1 { throw ValidationError("--top needs an integer of at least 1, got '\(top)'") }
    }

    func run() throws {
        let loaded = try loadSpec(spec)
        let network = loaded.network
        let outcome = try loaded.loadWeights(override: weights, requireAll: true)
        guard let weights = outcome.binding.weights else { throw ExitStatus.inputErrors }
        if let output { try refuseToOverwrite(output, inputs: [spec, outcome.filePath] + input) }
        let interpreter = ReferenceInterpreter(network: network, weights: weights)
        let request = RunRequest(inputs: input, output: output, format: format, top: top)
        do {
            let text = try request.perform(network: network.interface) { input, count, output in
                let inputSize = network.input.count
                let outputSize = network.output.count
                for sample in 0..<count {
                    let result = interpreter.run(Array(UnsafeBufferPointer(start: input + sample * inputSize, count: inputSize)))
                    (output + sample * outputSize).update(from: result, count: outputSize)
                }
            }
            Console.out(text)
        } catch {
            Console.errorLine("\(error.message)")
            throw ExitStatus.inputErrors
        }
    }
}
