@testable import CNNCCore

/// Runs the front end on spec text held in the test.
func compile(_ text: String, path: String = "test.yaml") -> SpecPipeline {
    SpecPipeline.run(SourceFile(path: path, text: text))
}

/// The rendered diagnostics' first lines (`path:line:col: error: message`), for compact assertions.
func errorLines(_ pipeline: SpecPipeline) -> [String] {
    pipeline.diagnostics.sorted.filter { $0.severity == .error }.map { diagnostic in
        let location = diagnostic.location.map { "\($0.start.line):\($0.start.column): " } ?? ""
        return location + diagnostic.message
    }
}

/// A spec with the given layers on a given input, for shape tests.
func network(input: String = "{channels: 1, height: 28, width: 28}", _ layers: String...) -> SpecPipeline {
    let list = layers.map { "  - \($0)" }.joined(separator: "\n")
    return compile("name: t\ninput: \(input)\nlayers:\n\(list)\n")
}
