import CNNCRuntime
import Foundation
import Testing

/// Hostile inputs (issue 13): each case reproduces a defect first, then asserts the clean error, the
/// exit status, and that nothing was written where it should not be.
@Suite struct HardeningTests {
    /// `-o ""` once made `generate` write its package into `/`.
    @Test func emptyOrBlankOutputPathsAreUsageErrors() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = repositoryRoot.appendingPathComponent("models/blur.yaml").path
        let model = repositoryRoot.appendingPathComponent("Tests/Fixtures/onnx/pytorch/mnist_sequential-opset11.onnx").path
        let commands: [[String]] = [
            ["generate", spec, "-o"], ["build", spec, "-o"], ["export", spec, "-o"], ["init-weights", spec, "-o"],
            ["import", model, "-o"], ["run", spec, "--input", repositoryRoot.appendingPathComponent("models/digits-7.pgm").path, "--output"],
        ]
        for command in commands {
            for path in ["", "  "] {
                let result = try run(cnncBinary, command + [path], in: directory)
                #expect(result.status == 2, "\(command) '\(path)': \(result.stderr)")
                #expect(result.stderr == "cnnc: error: the output path is \(path.isEmpty ? "empty" : "blank"); name a file or directory\n", "\(command)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/Package.swift") && !FileManager.default.fileExists(atPath: "/.cnnc-generated"))
    }
}
