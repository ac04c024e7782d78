import ArgumentParser
import CNNCCore

/// Exit statuses: 0 success, 1 the input has errors, 2 a usage or I/O problem.
enum ExitStatus {
    static let inputErrors = ExitCode(1)
    static let usageOrIO = ExitCode(2)
}

@main
struct CNNC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnnc",
        abstract: "A compiler for declarative convolutional-network specs.",
        discussion: """
            cnnc reads a network written as a YAML spec, checks it with compiler-grade diagnostics, \
            summarises its shapes, parameters, MACs and receptive fields, and runs it with weights from \
            a safetensors file, inline values, or seeded random numbers.

            Examples:
              cnnc check models/lenet5.yaml
              cnnc summary models/lenet5.yaml
              cnnc summary models/seed.yaml --format json
              cnnc run models/blur.yaml --input photo.pgm --output blurred.pgm

            Exit status: 0 on success, 1 when a spec has errors, 2 for a usage or I/O problem.
            The spec language: docs/spec.md.
            """,
        version: CNNCVersion.string,
        subcommands: [Check.self, Summary.self, Diagram.self, InitWeights.self, Run.self, Generate.self, Build.self, Import.self, Export.self]
    )

    /// Like ArgumentParser's own `main`, but usage errors exit with 2 so scripts can tell them from
    /// specs with errors (1), in the one error style of the tool (`cnnc: error: …`), with a
    /// suggestion for a misspelt command.
    static func main() {
        do {
            var command = try parseAsRoot()
            if let reporting = command as? ReportsDiagnostics {
                DiagnosticsOutput.configure(reporting.diagnosticsOptions.diagnosticsFormat,
                                            toStandardOutput: type(of: reporting).diagnosticsAreTheOutput)
            }
            defer { DiagnosticsOutput.finish() }
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                Console.error(usageErrorText(fullMessage(for: error)))
                Self.exit(withError: ExitStatus.usageOrIO)
            }
            Self.exit(withError: error)
        }
    }
}

extension CNNC {
    /// ArgumentParser's message with `cnnc: error:` for its `Error:`; an unknown first word that is
    /// close to a command's name gets that name suggested instead.
    static func usageErrorText(_ message: String) -> String {
        let arguments = CommandLine.arguments.dropFirst()
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        if let word = arguments.first, !word.hasPrefix("-"), !names.contains(word) {
            let suggestion = Suggestions.didYouMean(word, in: names)
            return "cnnc: error: unknown command '\(displaySafe(word))'\(suggestion)\nSee 'cnnc --help'.\n"
        }
        var text = message
        if text.hasPrefix("Error: ") { text = "cnnc: error: " + text.dropFirst("Error: ".count) }
        return text.hasSuffix("\n") ? text : text + "\n"
    }
}
