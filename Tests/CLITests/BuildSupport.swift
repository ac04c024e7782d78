import CNNCRuntime
import Foundation
import Testing
import TestTolerance

/// Builds are shared between tests: each spec is built once per test run, in a cache under .build so
/// a second `swift test` on the same checkout reuses SwiftPM's incremental builds.
actor SharedBuilds {
    static let shared = SharedBuilds()
    static let cacheDirectory = repositoryRoot.appendingPathComponent(".build/cnnc-test-cache").path

    /// The network libraries the builds of `command` for `cpu` (by default the default: x86-64-v3 with the AVX-512 variant) left
    /// in the cache: `builds/<command>-<hash of the spec's path>-<cpu>/…Kernels.artifactbundle/lib/<hash>/lib…Kernels.a`.
    static func networkLibraries(of command: String, cpu: String = "x86-64-v3-with-avx512") throws -> [URL] {
        let builds = URL(fileURLWithPath: cacheDirectory).appendingPathComponent("builds")
        let layout = try Regex(#"-[0-9a-f]{12}-"# + cpu + #"/[^/]+\.artifactbundle/lib/[^/]+/[^/]+\.a"#)
        return (FileManager.default.enumerator(atPath: builds.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasPrefix(command) && $0.dropFirst(command.count).wholeMatch(of: layout) != nil }
            .map { builds.appendingPathComponent($0) }
    }
    static let workDirectory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-builds-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    struct Built: Sendable {
        var binary: URL
        var weights: URL?
    }

    private var builds: [String: Task<Built, Error>] = [:]

    /// The binary for `spec`, with seeded random weights (biases and batchnorm too) unless
    /// `inlineWeights`: then with the weights the spec itself has (inline, or its `weights:` file).
    func binary(for spec: String, inlineWeights: Bool = false) async throws -> Built {
        // Keyed by both: one spec may be built with its trained weights by one test and with
        // random weights by another.
        let key = "\(spec)|\(inlineWeights)"
        if let existing = builds[key] { return try await existing.value }
        let task = Task { try Self.build(spec, inlineWeights: inlineWeights) }
        builds[key] = task
        return try await task.value
    }

    private static func build(_ spec: String, inlineWeights: Bool) throws -> Built {
        let name = (spec as NSString).lastPathComponent.replacingOccurrences(of: ".yaml", with: "")
        var arguments = ["build", spec]
        var weights: URL?
        if !inlineWeights {
            let file = try seededWeights(spec, in: workDirectory)
            arguments += ["--weights", file.path]
            weights = file
        }
        let binary = workDirectory.appendingPathComponent(inlineWeights ? "\(name)-own-weights" : name)
        let result = try run(cnncBinary, arguments + ["-o", binary.path], environment: ["CNNC_CACHE_DIR": cacheDirectory])
        guard result.status == 0 else { throw BuildError(message: "cnnc build \(spec) failed:\n\(result.stderr)") }
        return Built(binary: binary, weights: weights)
    }
}

/// Seeded random weights for `spec` (biases and batchnorm statistics too), written into `directory`.
func seededWeights(_ spec: String, in directory: URL) throws -> URL {
    let name = (spec as NSString).lastPathComponent.replacingOccurrences(of: ".yaml", with: "")
    let file = directory.appendingPathComponent("\(name).safetensors")
    let initialized = try cnnc("init-weights", spec, "-o", file.path, "--seed", "17", "--randomize-all")
    guard initialized.status == 0 else { throw BuildError(message: initialized.stderr) }
    return file
}

struct BuildError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Deterministic inputs: a batch of normal-ish values from a fixed linear congruential sequence.
func writeRandomInputs(_ url: URL, shape: [Int], seed: UInt64) throws {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    let count = shape.reduce(1, *)
    let values: [Float] = (0..<count).map { _ in
        var sum: Float = 0
        for _ in 0..<4 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            sum += Float(state >> 40) / Float(1 << 24)
        }
        return (sum - 2) * 1.7
    }
    try NPY.write(path: url.path, shape: shape, values: values)
}

/// Agreement within a row of docs/testing.md's tolerance table (by default the same-order one).
func expectClose(_ actual: [Float], _ expected: [Float], _ context: String, tolerance: Tolerance = .sameOrder,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    if let problem = tolerance.disagreement(actual, expected) {
        Issue.record("\(context): \(problem)", sourceLocation: sourceLocation)
    }
}

/// The tolerance helper itself: one that passed NaN or infinity would hide exactly the failures the
/// compile-and-run tests exist to catch (it did, for an infinite expected value).
@Suite struct ToleranceHelperTests {
    @Test func valuesWithinTheToleranceAgree() {
        expectClose([1, -2, 0, 1e6], [1 + 5e-6, -2 - 1e-5, 9e-7, 1e6 + 9], "within")
    }

    @Test func anythingElseFails() {
        let cases: [(actual: [Float], expected: [Float])] = [
            ([1.0001], [1]), ([.nan], [1]), ([1], [.nan]), ([.nan], [.nan]), ([.infinity], [.infinity]),
            ([.infinity], [1]), ([1], [-.infinity]), ([1, 2], [1]), ([0], [2e-6]),
        ]
        for (actual, expected) in cases {
            withKnownIssue("\(actual) against \(expected) must fail") {
                expectClose(actual, expected, "case")
            }
        }
    }
}

/// A tool of the Swift toolchain (clang, ld.lld, llvm-nm, …): beside `swift` on PATH.
func toolchainTool(_ name: String) throws -> URL {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let swift = URL(fileURLWithPath: String(directory)).appendingPathComponent("swift")
        guard FileManager.default.isExecutableFile(atPath: swift.path) else { continue }
        let tool = swift.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: tool.path) { return tool }
    }
    throw BuildError(message: "\(name) not found beside swift on PATH")
}
