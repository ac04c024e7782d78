import Foundation
import Testing

/// docs/cnnc-spec.schema.json, checked by an independent validator (`jsonschema` in the tools' Python
/// environment, through tools/check_spec_schema.py): every bundled model and valid fixture passes,
/// and the invalid-corpus specs whose mistakes are structural (types, enums, ranges, unknown keys,
/// missing options, input counts) are rejected.
@Suite struct SpecSchemaTests {
    static func yamlFiles(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent(folder).path)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted().map { folder + "/" + $0 }
    }

    /// Invalid-corpus entries (by number) that a schema can see; the rest need shapes or names.
    static let structural = [17, 18, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 32, 33, 34, 35, 36, 37, 38, 40, 42, 43, 44, 45, 46,
                             49, 50, 51, 52, 53, 56, 72, 73, 74, 75, 76, 78, 79, 84, 85, 91, 92, 103, 104, 105, 108, 109, 112,
                             115, 116, 117, 118, 119, 120, 123, 124, 127, 128, 134, 136, 137, 138, 140, 142, 145, 147, 148]

    @Test func validSpecsPassAndStructuralMistakesFail() throws {
        let valid = Self.yamlFiles("models") + Self.yamlFiles("Tests/Fixtures/codegen") + Self.yamlFiles("Tests/Fixtures/receptive")
            + Self.yamlFiles("Tests/Fixtures/state_dicts")
        let invalid = Self.yamlFiles("Tests/Fixtures/invalid").filter { path in
            let number = Int((path as NSString).lastPathComponent.prefix { $0.isNumber }) ?? -1
            return Self.structural.contains(number)
        }
        #expect(valid.count >= 25)
        #expect(invalid.count == Self.structural.count)
        let python = try #require(ONNXDifferentialTests.python.path, "\(ONNXDifferentialTests.python.problem ?? "")")
        let result = try run(URL(fileURLWithPath: python), ["tools/check_spec_schema.py", "--valid"] + valid + ["--invalid"] + invalid)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasSuffix("\(valid.count) valid and \(invalid.count) invalid specs checked; 0 surprises\n"), "\(result.stdout)")
    }
}
