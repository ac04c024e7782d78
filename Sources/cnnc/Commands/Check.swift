import ArgumentParser
import CNNCCore

struct Check: ParsableCommand, ReportsDiagnostics {
    static let diagnosticsAreTheOutput = true

    static let configuration = CommandConfiguration(
        abstract: "Validate one or more specs.",
        discussion: """
            Prints one 'ok' line per valid spec and a diagnostic (file:line:col: error: …) for every \
            problem. Inline weights are checked, and so is the weights file when the spec names one or \
            --weights is given. Exit status: 0 when every spec is valid, 1 when any has errors, 2 when a \
            file cannot be read.

            Examples:
              cnnc check models/lenet5.yaml
              cnnc check models/*.yaml
            """
    )

    @Argument(help: "Spec files to check.", completion: .file(extensions: ["yaml", "yml"]))
    var specs: [String]

    @Option(help: "Also validate this safetensors weights file against every spec (else the spec's own 'weights:').")
    var weights: String?

    @OptionGroup var diagnosticsOptions: DiagnosticsOptions

    func validate() throws {
        if specs.isEmpty { throw ValidationError("give at least one spec file") }
    }

    func run() throws {
        var anyErrors = false
        var anyIOProblem = false
        for path in specs {
            do {
                var pipeline = try SpecPipeline.run(path: path)
                if let network = pipeline.network {
                    let outcome = WeightsLoader.load(network, override: weights)
                    if let fileError = outcome.fileError {
                        Console.errorLine("\(fileError.message)")
                        if fileError.problem == .cannotRead { anyIOProblem = true } else { anyErrors = true }
                        continue
                    }
                    pipeline.diagnostics.append(contentsOf: outcome.binding.diagnostics)
                }
                DiagnosticsOutput.report(pipeline.diagnostics.sorted, files: [pipeline.file])
                if pipeline.diagnostics.hasErrors {
                    anyErrors = true
                    let count = pipeline.diagnostics.errorCount
                    if !DiagnosticsOutput.isStructured { Console.error("\(path): \(count) error\(count == 1 ? "" : "s")\n") }
                } else if !DiagnosticsOutput.isStructured {
                    Console.out("\(path): ok\n")
                }
            } catch {
                Console.errorLine("\(error.message)")
                anyIOProblem = true
            }
        }
        if anyIOProblem { throw ExitStatus.usageOrIO }
        if anyErrors { throw ExitStatus.inputErrors }
    }
}
