import Foundation
import Testing

/// `--diagnostics-format json|sarif` on the built binary: one document on standard output, the SARIF
/// valid against the published SARIF 2.1.0 schema (committed in Tests/Fixtures/diagnostics, validated
/// with the `jsonschema` package of the tools' Python environment).
@Suite struct DiagnosticsFormatTests {
    static let corpus = ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Tests/Fixtures/invalid").path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted().map { "Tests/Fixtures/invalid/" + $0 }

    @Test func theCorpusAsSARIFIsValidAgainstThePublishedSchema() throws {
        #expect(Self.corpus.count >= 140)
        let sarif = try cnnc(arguments: ["check", "--diagnostics-format", "sarif"] + Self.corpus + ["no/such/spec.yaml"])
        #expect(sarif.status == 2, "an unreadable file wins over invalid specs")
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let results = try #require(((log["runs"] as? [[String: Any]])?.first?["results"]) as? [[String: Any]])
        #expect(results.count > Self.corpus.count)
        #expect(results.contains { ($0["message"] as? [String: Any])?["text"] as? String == "no/such/spec.yaml: cannot read: No such file or directory" })
        #expect(results.contains { $0["fixes"] != nil })

        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = directory.appendingPathComponent("corpus.sarif")
        try Data(sarif.stdout.utf8).write(to: document)
        let schema = repositoryRoot.appendingPathComponent("Tests/Fixtures/diagnostics/sarif-schema-2.1.0.json").path
        let validator = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft4Validator.check_schema(schema)
            errors = list(jsonschema.Draft4Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
            for error in errors[:10]: print(list(error.absolute_path), error.message)
            sys.exit(1 if errors else 0)
            """
        let python = try #require(ONNXDifferentialTests.python.path, "\(ONNXDifferentialTests.python.problem ?? "")")
        let validation = try run(URL(fileURLWithPath: python), ["-c", validator, schema, document.path])
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
    }

    @Test func jsonIsOneDocumentAndTextStaysOnStandardError() throws {
        let spec = "Tests/Fixtures/invalid/" + (Self.corpus.first { $0.contains("unknown") }.map { ($0 as NSString).lastPathComponent } ?? "")
        let json = try cnnc("check", "--diagnostics-format", "json", spec, "models/lenet5.yaml")
        #expect(json.status == 1)
        #expect(json.stderr.isEmpty, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(document["schema"] as? String == "cnnc.diagnostics/1")
        #expect((document["errors"] as? Int ?? 0) >= 1)
        let text = try cnnc("check", spec)
        #expect(text.stdout.isEmpty && text.stderr.contains(": error: "))
        // Elsewhere the document goes to standard error, leaving standard output to the command's product.
        for command in [["summary", spec], ["run", spec, "--input", "models/digits-7.pgm"], ["build", spec, "-o", "/nonexistent/x"],
                        ["diagram", spec]] {
            let result = try cnnc(arguments: command + ["--diagnostics-format", "sarif"])
            #expect(result.status == 1, "\(command[0])")
            #expect(result.stderr.contains("\"version\": \"2.1.0\"") && result.stdout.isEmpty, "\(command[0]): \(result.stdout)")
            #expect(!result.stderr.contains("cnnc: error:"), "\(command[0]): \(result.stderr)")
        }
        let summary = try cnnc("summary", "models/lenet5.yaml", "--format", "json", "--diagnostics-format", "sarif")
        #expect(summary.status == 0)
        #expect(try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) is [String: Any], "the summary alone on stdout")
        #expect(summary.stderr.contains("\"results\": []"), "\(summary.stderr)")
    }
}
