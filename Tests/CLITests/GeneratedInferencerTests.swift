import CNNCRuntime
import Foundation
import Testing
import TestTolerance

/// Compile-and-run: specs built by `cnnc build`, run on seeded weights and inputs, against `cnnc run`.
@Suite struct GeneratedInferencerTests {
    static let inlineModels: Set<String> = ["models/blur.yaml", "models/edges.yaml", "models/sharpen.yaml"]
    static let specs = CheckCommandTests.models + ["Tests/Fixtures/codegen/coverage.yaml", "Tests/Fixtures/codegen/hostile.yaml"]
    /// The specs with Winograd convolutions (3×3, stride 1, more than 150 terms, at least 16 tiles),
    /// whose sums are reordered: they agree with `cnnc run` within the reordered tolerance.
    static let reorderingSpecs: Set<String> = [
        "models/cifar_vgg.yaml", "models/imagenet_stem.yaml", "models/mobile_block.yaml", "models/resnet_cifar.yaml",
        "models/unet_small.yaml", "Tests/Fixtures/codegen/coverage.yaml",
    ]

    /// The tolerance `spec`'s binary is held to, after checking that its `--info` states the same order.
    func tolerance(_ spec: String, _ binary: URL) throws -> Tolerance {
        let info = try run(binary, ["--info"])
        let reorders = Self.reorderingSpecs.contains(spec)
        let line = try #require(info.stdout.split(separator: "\n").first { $0.contains("summation order:") }, "\(spec): no summation order")
        #expect(line.contains("reordered by Winograd") == reorders, "\(spec): \(line)")
        return reorders ? .reordered : .sameOrder
    }

    /// The input shape of a spec, from its JSON summary.
    func inputShape(_ spec: String) throws -> [Int] {
        let summary = try cnnc("summary", spec, "--format", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [String: Any])
        return try #require(object["input_shape"] as? [Int])
    }

    @Test(arguments: specs)
    func binaryReproducesTheInterpreter(_ spec: String) async throws {
        let built = try await SharedBuilds.shared.binary(for: spec, inlineWeights: Self.inlineModels.contains(spec))
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shape = try inputShape(spec)
        let batch = spec.contains("imagenet") ? 1 : 3
        let input = directory.appendingPathComponent("input.npy")
        try writeRandomInputs(input, shape: [batch] + shape, seed: UInt64(spec.utf8.count))
        let weights = built.weights.map { ["--weights", $0.path] } ?? []
        let expected = directory.appendingPathComponent("expected.npy")
        let interpreted = try cnnc(arguments: ["run", spec, "--input", input.path, "--output", expected.path] + weights)
        #expect(interpreted.status == 0, "\(interpreted.stderr)")
        let actual = directory.appendingPathComponent("actual.npy")
        let compiled = try run(built.binary, ["--input", input.path, "--output", actual.path])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        let reference = try NPY.read(path: expected.path)
        let result = try NPY.read(path: actual.path)
        #expect(result.shape == reference.shape)
        expectClose(result.values, reference.values, spec, tolerance: try tolerance(spec, built.binary))
    }

    @Test func preprocessingOfImagesMatchesTheInterpreter() async throws {
        // coverage.yaml scales and normalises each channel of a PPM differently.
        let spec = "Tests/Fixtures/codegen/coverage.yaml"
        let built = try await SharedBuilds.shared.binary(for: spec)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = directory.appendingPathComponent("photo.ppm")
        let pixels = (0..<(23 * 25 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        try Data(Array("P6\n25 23\n255\n".utf8) + pixels).write(to: image)
        let interpreted = try cnnc("run", spec, "--weights", built.weights!.path, "--input", image.path)
        let compiled = try run(built.binary, ["--input", image.path])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        func values(_ json: String) throws -> [Float] {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let first = try #require((object["results"] as? [[String: Any]])?.first)
            #expect(first["label"] != nil)
            return try #require(first["values"] as? [Double]).map(Float.init)
        }
        expectClose(try values(compiled.stdout), try values(interpreted.stdout), "coverage on a PPM", tolerance: try tolerance(spec, built.binary))
    }

    @Test func infoReportsSummaryAndProvenance() async throws {
        let built = try await SharedBuilds.shared.binary(for: "models/lenet5.yaml")
        let info = try run(built.binary, ["--info"])
        #expect(info.status == 0)
        #expect(info.stdout.contains("61,706"))
        #expect(info.stdout.contains("spec sha256"))
        #expect(info.stdout.contains("weights sha256"))
        #expect(info.stdout.contains("-target-cpu haswell (x86-64-v3) and skylake-avx512 (x86-64-v4, run where the processor has AVX-512), -Ounchecked"),
                "\(info.stdout)")
        let specHash = try run(URL(fileURLWithPath: "/usr/bin/sha256sum"), [repositoryRoot.appendingPathComponent("models/lenet5.yaml").path])
        #expect(info.stdout.contains(String(specHash.stdout.prefix(64))))
    }

    @Test func benchReportsLatencyAndThroughput() async throws {
        let built = try await SharedBuilds.shared.binary(for: "models/seed.yaml")
        let bench = try run(built.binary, ["--bench", "-n", "50", "--json", "--threads", "2"])
        #expect(bench.status == 0, "\(bench.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])
        for key in ["latency_us_median", "latency_us_p90", "throughput_per_s", "gflops", "peak_gflops"] {
            #expect((object[key] as? Double).map { $0 > 0 } == true, "\(key) in \(bench.stdout)")
        }
        #expect(object["threads"] as? Int == 2)
        // seed has no kernel large enough to share: its single samples stay on one thread.
        #expect(object["latency_threads"] as? Int == 1)
        #expect(object["runs"] as? Int == 50)
        #expect(object["flops_per_inference"] as? Int == 2 * 38_514, "twice seed's MACs: \(bench.stdout)")
    }

    /// `--profile`: a row per step with the documented columns, shares that add up to 100 %, step
    /// times that add up to the total, and FLOPs that are twice the summary's MACs.
    @Test func profileReportsEveryStepAndItsShare() async throws {
        let built = try await SharedBuilds.shared.binary(for: "models/resnet_cifar.yaml")
        let json = try run(built.binary, ["--profile", "-n", "5", "--json"])
        try #require(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let steps = try #require(object["steps"] as? [[String: Any]])
        #expect(steps.count > 10 && object["runs"] as? Int == 5, "\(json.stdout)")
        #expect((object["peak_gflops"] as? Double).map { $0 > 0 } == true)
        let shares = steps.compactMap { $0["share"] as? Double }
        #expect(shares.count == steps.count && abs(shares.reduce(0, +) - 1) < 1e-3, "\(shares)")
        let summary = try cnnc("summary", "models/resnet_cifar.yaml", "--format", "json")
        let totals = try #require((try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [String: Any])?["totals"] as? [String: Any])
        #expect(object["total_flops"] as? Int == 2 * (totals["macs"] as? Int ?? -1), "\(totals)")
        #expect(steps.contains { ($0["strategy"] as? String)?.contains("conv") == true && ($0["layers"] as? String)?.contains(" + ") == true })

        let table = try run(built.binary, ["--profile", "-n", "5"])
        try #require(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map { String($0.drop { $0 == " " }) }
        let header = try #require(lines.firstIndex { $0.hasPrefix("#  ") }, "\(table.stdout)")
        #expect(lines[header].split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") == "# layers strategy time µs share GFLOP/s % peak")
        let rows = lines[(header + 2)...].prefix { !$0.hasPrefix("─") }
        #expect(rows.count == steps.count, "\(table.stdout)")
        let total = try #require(lines.last { $0.contains("total") })
        // Columns from the right: % peak, GFLOP/s, "%", share, time.
        func number(_ line: String, fromRight index: Int) -> Double? {
            let cells = line.split(separator: " ")
            return cells.count > index ? Double(cells[cells.count - 1 - index]) : nil
        }
        let rowShares = rows.compactMap { number($0, fromRight: 3) }, rowTimes = rows.compactMap { number($0, fromRight: 4) }
        #expect(rowShares.count == rows.count && abs(rowShares.reduce(0, +) - 100) <= 0.05 * Double(rows.count) + 0.1, "\(table.stdout)")
        let totalTime = try #require(number(total, fromRight: 4))
        #expect(abs(rowTimes.reduce(0, +) - totalTime) <= 0.005 * Double(rows.count) + 0.01, "\(table.stdout)")
        let conflicting = try run(built.binary, ["--profile", "--bench"])
        #expect(conflicting.status == 2 && conflicting.stderr.contains("--profile and --bench"), "\(conflicting.stderr)")

        // On two threads: the same steps, run by the worker pool, and the heading says so.
        let threaded = try run(built.binary, ["--profile", "-n", "3", "--threads", "2", "--json"])
        try #require(threaded.status == 0, "\(threaded.stderr)")
        let threadedObject = try #require(try JSONSerialization.jsonObject(with: Data(threaded.stdout.utf8)) as? [String: Any])
        #expect(object["threads"] as? Int == 1 && threadedObject["threads"] as? Int == 2, "\(threaded.stdout)")
        let threadedSteps = try #require(threadedObject["steps"] as? [[String: Any]])
        #expect(threadedSteps.map { $0["layers"] as? String } == steps.map { $0["layers"] as? String })
        #expect(abs(threadedSteps.compactMap { $0["share"] as? Double }.reduce(0, +) - 1) < 1e-3, "\(threaded.stdout)")
        let threadedTable = try run(built.binary, ["--profile", "-n", "3", "--threads", "2"])
        #expect(threadedTable.stdout.contains("median of 3 runs per step, 2 threads;"), "\(threadedTable.stdout)")
    }

    @Test func threadCountsGiveTheSameResults() async throws {
        let built = try await SharedBuilds.shared.binary(for: "models/mobile_block.yaml")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("batch.npy")
        try writeRandomInputs(input, shape: [7, 3, 64, 64], seed: 5)
        var outputs: [[Float]] = []
        for threads in ["1", "2", "5"] {
            let output = directory.appendingPathComponent("out\(threads).npy")
            let result = try run(built.binary, ["--input", input.path, "--output", output.path, "--threads", threads])
            #expect(result.status == 0, "\(result.stderr)")
            outputs.append(try NPY.read(path: output.path).values)
        }
        #expect(outputs[0] == outputs[1])
        #expect(outputs[0] == outputs[2])
        let bad = try run(built.binary, ["--input", input.path, "--threads", "0"])
        #expect(bad.status == 2)
    }

    /// One sample on 1–4 threads (the threads share each large kernel): the same bits every time, on
    /// networks with direct, depthwise, grouped, GEMM, Winograd and residual-epilogue convolutions, padding copies and pools,
    /// transposed convolutions by phases and bilinear upsampling.
    @Test(arguments: ["models/mobile_block.yaml", "models/resnet_cifar.yaml", "models/cifar_vgg.yaml", "models/unet_small.yaml"])
    func aSingleSampleGivesTheSameResultsOnEveryThreadCount(spec: String) async throws {
        let built = try await SharedBuilds.shared.binary(for: spec)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shape = try inputShape(spec)
        let input = directory.appendingPathComponent("one.npy")
        try writeRandomInputs(input, shape: [1] + shape, seed: 11)
        var outputs: [Data] = []
        for threads in 1...4 {
            let output = directory.appendingPathComponent("out\(threads).f32")
            for _ in 0..<3 {  // several calls, so a race would have chances to show
                let result = try run(built.binary, ["--input", input.path, "--output", output.path, "--threads", String(threads)])
                #expect(result.status == 0, "\(result.stderr)")
                outputs.append(try Data(contentsOf: output))
            }
        }
        #expect(!outputs[0].isEmpty)
        #expect(outputs.allSatisfy { $0 == outputs[0] }, "\(spec): outputs differ between thread counts")
        let bench = try run(built.binary, ["--bench", "-n", "20", "--json", "--threads", "2"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any], "\(bench.stderr)")
        #expect(object["latency_threads"] as? Int == 2, "\(bench.stdout)")
    }

    @Test func theBinaryRunsAloneFromAnotherDirectory() async throws {
        let built = try await SharedBuilds.shared.binary(for: "models/blur.yaml", inlineWeights: true)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = directory.appendingPathComponent("blur")
        try FileManager.default.copyItem(at: built.binary, to: copy)
        var pixels = [UInt8](repeating: 128, count: 256 * 256)
        pixels[10 * 256 + 10] = 255
        try Data(Array("P5\n256 256\n255\n".utf8) + pixels).write(to: directory.appendingPathComponent("in.pgm"))
        let result = try run(copy, ["--input", "in.pgm", "--output", "out.pgm"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let output = [UInt8](try Data(contentsOf: directory.appendingPathComponent("out.pgm"))).dropFirst(15)
        #expect(output[output.startIndex + 10 * 256 + 10] == 142)
    }
}

@Suite struct GenerateAndBuildCommandTests {
    @Test func generateRefusesAForeignDirectoryAndRewritesOnlyChangedFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let mine = directory.appendingPathComponent("notes.txt")
        try "my notes".write(to: mine, atomically: true, encoding: .utf8)
        let refused = try cnnc("generate", "models/blur.yaml", "-o", directory.path)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("not generated by cnnc"))
        #expect(try String(contentsOf: mine, encoding: .utf8) == "my notes")

        let package = directory.appendingPathComponent("package")
        let first = try cnnc("generate", "models/blur.yaml", "-o", package.path)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try cnnc("generate", "models/blur.yaml", "-o", package.path)
        #expect(second.stdout.contains(": 0 files changed"), "\(second.stdout)")
        let forced = try cnnc("generate", "models/blur.yaml", "-o", directory.path, "--force")
        #expect(forced.status == 0)
        #expect(try String(contentsOf: mine, encoding: .utf8) == "my notes")
    }

    /// cifar_vgg's 3×3 layers run as Winograd by default; `--reference-order` keeps them on kernels that
    /// add in the interpreter's order, and the inferencer's provenance says which. Its summary
    /// (`--info`) gives the arena of its own plan, and prepared weights only with Winograd.
    @Test func referenceOrderPlansNoWinogradKernel() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = try seededWeights("models/cifar_vgg.yaml", in: directory)
        for (flags, reorders) in [([String](), true), (["--reference-order"], false)] {
            let package = directory.appendingPathComponent(reorders ? "fastest" : "reference")
            let generated = try cnnc(arguments: ["generate", "models/cifar_vgg.yaml", "--weights", weights.path, "-o", package.path] + flags)
            #expect(generated.status == 0, "\(generated.stderr)")
            let core = try String(contentsOf: package.appendingPathComponent("Core/CifarVggCore.swift"), encoding: .utf8)
            #expect(core.components(separatedBy: "convolveWinograd(").count - 1 == (reorders ? 5 : 0), "\(flags)")
            let main = try String(contentsOf: package.appendingPathComponent("Sources/CifarVggInferencer/main.swift"), encoding: .utf8)
            #expect(main.contains("reordered by Winograd") == reorders, "\(flags)")
            #expect(main.contains("(key: \"summation order\", value: \"the interpreter's") == !reorders, "\(flags)")
            #expect(main.contains(reorders ? "Forward pass size:      721,408 bytes" : "Forward pass size:      539,136 bytes"), "\(flags)")
            #expect(main.contains("Prepared weights:       2,101,248 bytes") == reorders, "\(flags)")
            let weightsSource = try String(contentsOf: package.appendingPathComponent("Core/Weights/weights.c"), encoding: .utf8)
            #expect(weightsSource.contains("static float prepared[525312];") == reorders, "\(flags)")
        }
    }

    @Test func buildReplacesItsOutputAtomically() async throws {
        let built = try await SharedBuilds.shared.binary(for: "models/blur.yaml", inlineWeights: true)
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("blur")
        try "an old file".write(to: output, atomically: true, encoding: .utf8)
        let result = try run(cnncBinary, ["build", "models/blur.yaml", "-o", output.path], environment: ["CNNC_CACHE_DIR": SharedBuilds.cacheDirectory])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try Data(contentsOf: output) == Data(contentsOf: built.binary))
        #expect(FileManager.default.isExecutableFile(atPath: output.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0 != "blur" }
        #expect(leftovers.isEmpty, "\(leftovers)")
        let unwritable = try run(cnncBinary, ["build", "models/blur.yaml", "-o", "/nonexistent-directory/blur"],
                                 environment: ["CNNC_CACHE_DIR": SharedBuilds.cacheDirectory])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderr.contains("/nonexistent-directory/blur"))
    }
}
