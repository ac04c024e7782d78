import Foundation
import Testing

/// cnnc against ONNX Runtime (docs/onnx.md): the exporter's own tests, the differential tests on
/// the bundled models and random specs, and the measured receptive fields.
///
/// These live in CLITests because they drive the `cnnc` built beside the test binary, as the other
/// CLI tests do; the Python tools get its path. The first test to run creates the Python
/// environment (tools/setup-python-env.sh, a few seconds when PyPI is reachable, instant later);
/// a machine that cannot install it fails these tests with the script's message — they are never
/// skipped silently.
///
/// Environment:
/// - `CNNC_DIFFERENTIAL_COUNT` — random specs (default 200, about 20 s); thousands for a long run, e.g.
///   `CNNC_DIFFERENTIAL_COUNT=5000 swift test --filter ONNXDifferentialTests`.
/// - `CNNC_DIFFERENTIAL_SEED` — seed of the random specs, weights and inputs (default 0).
/// - `CNNC_DIFFERENTIAL_JOBS` — cases run at once (default 2).
/// - `CNNC_DIFFERENTIAL_BUILDS` — random specs whose `cnnc build` inferencer is compared too, besides
///   every bundled model (default 4; 0 builds none).
/// - `CNNC_DIFFERENTIAL_BINARY_COMMAND` — a third implementation to compare (`--binary-command`).
@Suite(.serialized) struct ONNXDifferentialTests {
    /// The environment's python, or why there is none. Set up once per test process.
    static let python: (path: String?, problem: String?) = {
        let script = repositoryRoot.appendingPathComponent("tools/setup-python-env.sh")
        do {
            let result = try run(URL(fileURLWithPath: "/bin/bash"), [script.path, "--quiet"])
            let path = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            guard result.status == 0, FileManager.default.isExecutableFile(atPath: path) else {
                return (nil, "tools/setup-python-env.sh failed (exit \(result.status)); the ONNX tests need "
                    + "Python 3 with venv and PyPI access for the pinned packages of tools/requirements.txt:\n"
                    + result.stderr)
            }
            return (path, nil)
        } catch {
            return (nil, "could not run tools/setup-python-env.sh: \(error)")
        }
    }()

    func pythonTool(_ script: String, _ arguments: [String]) throws -> RunResult {
        guard let python = Self.python.path else {
            Issue.record(Comment(rawValue: Self.python.problem ?? "no Python environment"))
            throw PythonUnavailable()
        }
        return try run(URL(fileURLWithPath: python), [repositoryRoot.appendingPathComponent(script).path] + arguments,
                       environment: ["CNNC": cnncBinary.path, "PYTHONDONTWRITEBYTECODE": "1",
                                    "CNNC_CACHE_DIR": SharedBuilds.cacheDirectory])
    }

    struct PythonUnavailable: Error {}

    static func setting(_ name: String, default value: String) -> String {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? value
    }

    @Test func exporterMatchesTheSpecDefinitions() throws {
        let result = try pythonTool("tools/test_cnnc_onnx.py", [])
        #expect(result.status == 0, "tools/test_cnnc_onnx.py failed:\n\(result.stderr)")
    }

    @Test func cnncAgreesWithONNXRuntime() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = directory.appendingPathComponent("report.json")
        var arguments = [
            "--cnnc", cnncBinary.path,
            "--count", Self.setting("CNNC_DIFFERENTIAL_COUNT", default: "200"),
            "--seed", Self.setting("CNNC_DIFFERENTIAL_SEED", default: "0"),
            "--jobs", Self.setting("CNNC_DIFFERENTIAL_JOBS", default: "2"),
            "--build-binaries", Self.setting("CNNC_DIFFERENTIAL_BUILDS", default: "4"),
            "--report", report.path, "--quiet",
        ]
        if let command = ProcessInfo.processInfo.environment["CNNC_DIFFERENTIAL_BINARY_COMMAND"], !command.isEmpty {
            arguments += ["--binary-command", command]
        }
        let result = try pythonTool("tools/differential.py", arguments)
        guard let data = try? Data(contentsOf: report),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = json["cases"] as? [[String: Any]] else {
            Issue.record("tools/differential.py wrote no report (exit \(result.status)):\n\(result.stdout)\n\(result.stderr)")
            return
        }
        // Every case is one expectation; a saved regression marked known-failure is a known issue.
        for item in cases where item["ok"] as? Bool != true {
            let label = item["label"] as? String ?? "?"
            let text = "\(label): \(item["category"] as? String ?? ""): \(item["message"] as? String ?? "")"
                + " (spec \(item["spec"] as? String ?? ""), weights seed \(item["weights_seed"] ?? ""), "
                + "input seed \(item["input_seed"] ?? "")\((item["saved"] as? String).map { "; saved as \($0)" } ?? ""))"
            if let known = item["known_failure"] as? String {
                withKnownIssue(Comment(rawValue: known)) { Issue.record(Comment(rawValue: text)) }
            } else {
                Issue.record(Comment(rawValue: text))
            }
        }
        let passed = json["passed"] as? Int ?? 0
        #expect(passed > 0, "no differential case passed:\n\(result.stdout)")
        #expect(cases.count >= 8, "expected the bundled models and random specs:\n\(result.stdout)")
        if result.status != 0 && (json["failed"] as? Int ?? 0) == 0 {
            Issue.record("tools/differential.py exited \(result.status) without a failed case:\n\(result.stderr)")
        }
    }

    /// The really trained model (models/digits.yaml, tools/train_digits.py) on its whole held-out
    /// split: the built inferencer, `cnnc run` and ONNX Runtime on `cnnc export`'s model predict the
    /// same digit for every image, and the accuracy is at least the one recorded when training.
    @Test func digitsClassifiesItsTestSplitAsRecorded() async throws {
        let built = try await SharedBuilds.shared.binary(for: "models/digits.yaml", inlineWeights: true)
        let result = try pythonTool("tools/check_digits.py", ["--cnnc", cnncBinary.path, "--binary", built.binary.path])
        #expect(result.status == 0, "tools/check_digits.py failed:\n\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("digits test split: ONNX Runtime "), "\(result.stdout)")
        print(result.stdout, terminator: "")
    }

    @Test func receptiveFieldsMatchMeasurements() throws {
        let fixtures = try FileManager.default.contentsOfDirectory(
            atPath: repositoryRoot.appendingPathComponent("Tests/Fixtures/receptive").path)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { "Tests/Fixtures/receptive/\($0)" }
        #expect(fixtures.count >= 11)
        // The fixtures are sized so every layer has interior units; the bundled models are checked
        // as they are (imagenet_stem is left out: 449 one-line inputs at 224×224 take a minute).
        let models = ["seed", "lenet5", "mobile_block", "cifar_vgg", "resnet_cifar", "mobilenetv2_block", "unet_small"].map { "models/\($0).yaml" }
        for (specs, strict) in [(fixtures, true), (models, false)] {
            let result = try pythonTool("tools/receptive_fields.py",
                                        ["--cnnc", cnncBinary.path] + (strict ? ["--require-interior"] : []) + specs)
            #expect(result.status == 0, "tools/receptive_fields.py found problems:\n\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains(", 0 problems"), "\(result.stdout)")
        }
    }
}
