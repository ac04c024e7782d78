import CNNCRuntime
import Foundation
import Testing
import TestTolerance

/// `cnnc build --target wasm32`, run for real: each module is loaded through the JavaScript module
/// it comes with, in Node, on a seeded input, against `cnnc run` (the interpreter). WebAssembly's
/// SIMD128 has no fused multiply-add, so the kernels round each product there: the reordered row of
/// docs/testing.md's tolerance table applies.
@Suite struct WebAssemblyTargetTests {
    static let node: String? = ["/usr/bin/node", "/usr/local/bin/node", "/usr/bin/nodejs"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(arguments: GeneratedInferencerTests.specs)
    func moduleReproducesTheInterpreterAndImportsNothing(_ spec: String) throws {
        let node = try #require(Self.node, "Node.js runs the WebAssembly tests; .ci/run installs it (apt-get install nodejs)")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = GeneratedInferencerTests.inlineModels.contains(spec) ? [] : ["--weights", try seededWeights(spec, in: directory).path]
        let output = directory.appendingPathComponent("web")
        let built = try run(cnncBinary, ["build", spec, "--target", "wasm32", "-o", output.path] + weights,
                            environment: ["CNNC_CACHE_DIR": SharedBuilds.cacheDirectory])
        try #require(built.status == 0, "\(built.stderr)")
        #expect(built.stdout.hasPrefix("built \(output.path): ") && built.stdout.contains(".wasm") && built.stdout.contains("arena"), "\(built.stdout)")
        #expect(built.stdout.contains("\nlatency in Node v") && built.stdout.contains(" per call (median of "), "\(built.stdout)")
        #expect(built.stdout.contains(", prepared weights ") == GeneratedInferencerTests.reorderingSpecs.contains(spec), "\(built.stdout)")
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: output.path).first { $0.hasSuffix(".wasm") })
            .replacingOccurrences(of: ".wasm", with: "")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: output.path)) == ["\(name).wasm", "\(name).js", "index.html"])

        let input = directory.appendingPathComponent("input.npy")
        try writeRandomInputs(input, shape: [1] + (try GeneratedInferencerTests().inputShape(spec)), seed: UInt64(spec.utf8.count))
        let expected = directory.appendingPathComponent("expected.npy")
        let interpreted = try cnnc(arguments: ["run", spec, "--input", input.path, "--output", expected.path] + weights)
        try #require(interpreted.status == 0, "\(interpreted.stderr)")
        let raw = directory.appendingPathComponent("input.f32"), result = directory.appendingPathComponent("output.f32")
        try Data(littleEndianBytes(try NPY.read(path: input.path).values)).write(to: raw)
        let script = repositoryRoot.appendingPathComponent("Tests/Fixtures/wasm/run-module.mjs").path
        let ran = try run(URL(fileURLWithPath: node), [script, output.appendingPathComponent("\(name).js").path, raw.path, result.path])
        try #require(ran.status == 0, "\(ran.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(ran.stdout.utf8)) as? [String: Any])
        #expect(report["imports"] as? [String] == [], "a module must import nothing: \(ran.stdout)")
        #expect(report["exports"] as? [String] == ["input", "memory", "output", "predict"], "\(ran.stdout)")
        let actual = try floats(Data(contentsOf: result))
        if let problem = Tolerance.reordered.disagreement(actual, try NPY.read(path: expected.path).values) {
            Issue.record("\(spec) as WebAssembly: \(problem)")
        }
    }

    /// Ten random specs (and the saved regressions) built for wasm32 and run in Node on every sample
    /// (Tests/Fixtures/wasm/run-npy.mjs), against ONNX Runtime under its 1e-4 + 1e-5 tolerance — the
    /// reordered row, as WebAssembly rounds each product. Here rather than in the serialized
    /// differential suite, so it runs beside the other suites.
    @Test func randomSpecsAgreeWithONNXRuntimeAsWebAssemblyModules() throws {
        let node = try #require(Self.node, "Node.js runs the WebAssembly tests; .ci/run installs it (apt-get install nodejs)")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = directory.appendingPathComponent("report.json")
        let script = repositoryRoot.appendingPathComponent("Tests/Fixtures/wasm/run-npy.mjs").path
        let result = try ONNXDifferentialTests().pythonTool("tools/differential.py", [
            "--cnnc", cnncBinary.path, "--no-models", "--count", "10", "--seed", "23", "--no-round-trip", "--no-save", "--no-shrink",
            "--report", report.path, "--quiet",
            "--binary-command", "{cnnc} build {spec} {weights_args} --target wasm32 -o {workdir}/web > /dev/null && \(node) \(script) {workdir}/web {input} {output}",
        ])
        #expect(result.stdout.contains("runners: onnxruntime (reference), cnnc run, binary command"), "\(result.stdout)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any], "\(result.stderr)")
        let cases = try #require(json["cases"] as? [[String: Any]])
        #expect(cases.filter { ($0["label"] as? String)?.hasPrefix("random ") == true }.count == 10, "\(result.stdout)")
        for item in cases where item["ok"] as? Bool != true {
            Issue.record("\(item["label"] ?? "?") as WebAssembly: \(item["category"] ?? ""): \(item["message"] ?? "") (spec \(item["spec"] ?? ""))")
        }
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    }

    @Test func hostOptionsAreRefusedForWebAssembly() throws {
        let result = try cnnc("build", "models/blur.yaml", "--target", "wasm32", "--cpu", "znver4", "-o", "/nonexistent/web")
        #expect(result.status == 2)
        #expect(result.stderr == "cnnc: error: --cpu and --portable choose a host processor; --target wasm32 has none\n")
        let unknown = try cnnc("build", "models/blur.yaml", "--target", "wasm64", "-o", "/nonexistent/web")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("wasm64"), "\(unknown.stderr)")
    }

    private func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    private func floats(_ data: Data) -> [Float] {
        stride(from: 0, to: data.count - 3, by: 4).map { offset in
            Float(bitPattern: data[data.startIndex + offset..<data.startIndex + offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) })
        }
    }
}

/// The demo page in a real browser: headless Chromium (Debian's package, which .ci/run installs)
/// loads it from a loopback HTTP server (browsers refuse modules and WebAssembly from file://),
/// with the digits model's test image; the page reports its result on the console.
@Suite struct WebAssemblyDemoPageTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromium != nil, "Chromium is not installed (.ci/run installs Debian's chromium); the demo page is not tested"))
    func theDemoPageClassifiesTheDigitsTestImage() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let site = directory.appendingPathComponent("site")
        let built = try run(cnncBinary, ["build", "models/digits.yaml", "--target", "wasm32", "-o", site.path],
                            environment: ["CNNC_CACHE_DIR": SharedBuilds.cacheDirectory])
        try #require(built.status == 0, "\(built.stderr)")
        // digits-7.png is models/digits-7.pgm (maxval 16) with each value v as round(v · 255 / 16);
        // the interpreter gets the same 8-bit values as a PGM.
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Tests/Fixtures/wasm/digits-7.png"), to: site.appendingPathComponent("digits-7.png"))
        let original = [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent("models/digits-7.pgm")))
        let pixels = original.suffix(64).map { UInt8((Double($0) * 255 / 16).rounded()) }
        let pgm = directory.appendingPathComponent("digit.pgm")
        try Data(Array("P5\n8 8\n255\n".utf8) + pixels).write(to: pgm)
        let interpreted = try cnnc("run", "models/digits.yaml", "--input", pgm.path, "--top", "3")
        try #require(interpreted.status == 0, "\(interpreted.stderr)")
        let expected = try #require((try JSONSerialization.jsonObject(with: Data(interpreted.stdout.utf8)) as? [String: Any])
            .flatMap { ($0["results"] as? [[String: Any]])?.first?["top"] as? [[String: Any]] })

        let server = try BackgroundProcess(["/usr/bin/env", "python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", site.path], log: directory.appendingPathComponent("server.log"))
        defer { server.stop() }
        let serving = try #require(server.waitForLine(containing: "Serving HTTP on", seconds: 30), "the HTTP server did not start: \(server.output)")
        let port = try #require(serving.split(separator: " ").firstIndex(of: "port").map { serving.split(separator: " ")[$0 + 1] })
        let browser = try BackgroundProcess([Self.chromium!, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                             "--user-data-dir=" + directory.appendingPathComponent("profile").path, "--enable-logging=stderr", "--v=0",
                                             "http://127.0.0.1:\(port)/index.html?image=digits-7.png"], log: directory.appendingPathComponent("browser.log"))
        defer { browser.stop() }
        let line = try #require(browser.waitForLine(containing: "cnnc-demo: ", seconds: 90), "the page reported nothing: \(browser.output.suffix(2000))")
        let report = try #require(line.components(separatedBy: "cnnc-demo: ").last?.components(separatedBy: "\", source: ").first)
        #expect(!report.hasPrefix("failed"), "\(report)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        let top = try #require(object["top"] as? [[String: Any]])
        let shown = try #require(object["shown"] as? [String])
        #expect(top.first?["label"] as? String == "7" && shown.first?.hasPrefix("7 ") == true, "\(report)")
        #expect(top.map { $0["index"] as? Int } == expected.map { $0["index"] as? Int }, "\(report) against \(interpreted.stdout)")
        let values = top.compactMap { ($0["value"] as? Double).map(Float.init) }, reference = expected.compactMap { ($0["value"] as? Double).map(Float.init) }
        if let problem = Tolerance.reordered.disagreement(values, reference) { Issue.record("the page against the interpreter: \(problem)") }
    }
}

/// A process started in the background with its standard output and error in a file, read while
/// it runs; `stop()` ends it and its children (Foundation gives it a process group of its own).
final class BackgroundProcess {
    let process = Process()
    let log: URL

    init(_ arguments: [String], log: URL) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The first line containing `text`, waiting up to `seconds` for it; nil if the process ends first or time runs out.
    func waitForLine(containing text: String, seconds: Double) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let line = output.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            if !process.isRunning { return output.split(separator: "\n").first { $0.contains(text) }.map(String.init) }
            usleep(100_000)
        }
        return nil
    }

    /// SIGKILL: the test runner blocks SIGTERM, and children inherit that mask.
    func stop() {
        guard process.isRunning else { return }
        kill(-process.processIdentifier, SIGKILL)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
