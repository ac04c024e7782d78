import CNNCCore
import Foundation
import Testing

/// Every spec under Tests/Fixtures/invalid must fail with exactly the diagnostics in its `.expected` file.
@Suite struct InvalidSpecCorpus {
    static let specs = fixtureFiles(in: "invalid", withExtension: "yaml")

    @Test func corpusIsLargeEnough() {
        #expect(Self.specs.count >= 40)
    }

    @Test(arguments: specs)
    func diagnosticsMatchGolden(_ spec: URL) throws {
        let bytes = try [UInt8](Data(contentsOf: spec))
        let pipeline = SpecPipeline.run(SourceFile(path: "invalid/" + spec.lastPathComponent, bytes: bytes))
        #expect(pipeline.diagnostics.hasErrors, "\(spec.lastPathComponent) should be invalid")
        #expect(pipeline.network == nil)
        expectMatchesGolden(pipeline.renderDiagnostics(), spec.deletingPathExtension().appendingPathExtension("expected"))
    }

    /// The whole corpus as one `cnnc check --diagnostics-format json|sarif` would print it, against
    /// Tests/Fixtures/diagnostics/corpus.{json,sarif}. (The SARIF is validated against the published
    /// schema in CLITests' DiagnosticsFormatTests.)
    @Test func structuredDiagnosticsOfTheWholeCorpusMatchGoldens() throws {
        var all: [Diagnostic] = []
        for spec in Self.specs {
            let bytes = try [UInt8](Data(contentsOf: spec))
            all += SpecPipeline.run(SourceFile(path: "invalid/" + spec.lastPathComponent, bytes: bytes)).diagnostics.sorted
        }
        #expect(all.count { $0.severity == .error } >= Self.specs.count)
        #expect(all.contains { !$0.fixIts.isEmpty })
        expectMatchesGolden(StructuredDiagnostics.json(all), fixturesDirectory.appendingPathComponent("diagnostics/corpus.json"))
        expectMatchesGolden(StructuredDiagnostics.sarif(all, toolVersion: "TEST"), fixturesDirectory.appendingPathComponent("diagnostics/corpus.sarif"))
    }
}

/// The summary of every bundled model, in each format, against Tests/Fixtures/summary.
@Suite struct ModelSummaries {
    static let models = ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("models").path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    /// The bundled models are the arguments below: an empty folder must not pass silently.
    @Test func everyBundledModelIsHere() {
        #expect(Self.models.count >= 11)
    }

    @Test(arguments: models, SummaryRenderer.Format.allCases)
    func summaryMatchesGolden(_ model: String, _ format: SummaryRenderer.Format) throws {
        let path = "models/" + model
        let bytes = try [UInt8](Data(contentsOf: repositoryRoot.appendingPathComponent(path)))
        let pipeline = SpecPipeline.run(SourceFile(path: path, bytes: bytes))
        let network = try #require(pipeline.network, "\(model): \(pipeline.renderDiagnostics())")
        let name = (model as NSString).deletingPathExtension
        let ext = format == .markdown ? "md" : format.rawValue
        expectMatchesGolden(SummaryRenderer(network: network).render(format),
                            fixturesDirectory.appendingPathComponent("summary/\(name).\(ext)"))
    }
}
