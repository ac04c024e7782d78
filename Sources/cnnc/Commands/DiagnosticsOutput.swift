import ArgumentParser
import CNNCCore
import Synchronization

extension DiagnosticsFormat: ExpressibleByArgument {}

/// `--diagnostics-format`, on the commands that check a spec.
struct DiagnosticsOptions: ParsableArguments {
    @Option(help: "text (clang-style, on standard error), json (cnnc.diagnostics/1) or sarif (SARIF 2.1.0): one document at the end, on standard output for check, else on standard error.")
    var diagnosticsFormat: DiagnosticsFormat = .text
}

/// A command whose diagnostics follow `--diagnostics-format`.
protocol ReportsDiagnostics {
    var diagnosticsOptions: DiagnosticsOptions { get }
    /// Whether the JSON or SARIF document is the command's output (`check`), or goes to standard
    /// error beside it (a summary, a diagram, a run's results stay alone on standard output).
    static var diagnosticsAreTheOutput: Bool { get }
}

extension ReportsDiagnostics {
    static var diagnosticsAreTheOutput: Bool { false }
}

/// Where this run's diagnostics go: printed as they come (text), or collected and printed as one
/// document when the command ends, with its one-line errors as diagnostics without a location.
enum DiagnosticsOutput {
    private static let state = Mutex<(format: DiagnosticsFormat, toStandardOutput: Bool, collected: [Diagnostic])>((.text, false, []))

    static var isStructured: Bool { state.withLock { $0.format != .text } }

    static func configure(_ format: DiagnosticsFormat, toStandardOutput: Bool) {
        state.withLock {
            $0.format = format
            $0.toStandardOutput = toStandardOutput
        }
        guard format != .text else { return }
        Console.observeErrorLines { message in
            state.withLock { $0.collected.append(.error(message, at: nil)) }
        }
    }

    /// Prints (text) or keeps (json, sarif) diagnostics about `files`.
    static func report(_ diagnostics: [Diagnostic], files: [SourceFile]) {
        guard !diagnostics.isEmpty else { return }
        let structured = state.withLock { state in
            guard state.format != .text else { return false }
            state.collected += diagnostics
            return true
        }
        if !structured {
            Console.error(DiagnosticRenderer(files: files, colored: Console.stderrWantsColor).render(diagnostics))
        }
    }

    /// The JSON or SARIF document of everything collected, on standard output or standard error.
    static func finish() {
        let (format, toStandardOutput, collected) = state.withLock { ($0.format, $0.toStandardOutput, $0.collected) }
        let document: String
        switch format {
        case .text: return
        case .json: document = StructuredDiagnostics.json(collected)
        case .sarif: document = StructuredDiagnostics.sarif(collected, toolVersion: CNNCVersion.string)
        }
        if toStandardOutput { Console.out(document) } else { Console.error(document) }
    }
}
