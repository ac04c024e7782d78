import CNNCRuntime
import Foundation
import Testing

@Suite struct RunCommandTests {
    /// A 256×256 8-bit PGM: all 128, one pixel 255 at (10, 10).
    func writeTestImage(_ url: URL) throws {
        var pixels = [UInt8](repeating: 128, count: 256 * 256)
        pixels[10 * 256 + 10] = 255
        try Data(Array("P5\n256 256\n255\n".utf8) + pixels).write(to: url)
    }

    @Test func blurTurnsAPGMIntoABlurredPGM() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("photo.pgm")
        let output = directory.appendingPathComponent("blurred.pgm")
        try writeTestImage(input)
        let result = try cnnc("run", "models/blur.yaml", "--input", input.path, "--output", output.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "wrote \(output.path)\n")
        let bytes = [UInt8](try Data(contentsOf: output))
        let header = Array("P5\n256 256\n255\n".utf8)
        try #require(bytes.count == header.count + 256 * 256)
        #expect(Array(bytes.prefix(header.count)) == header)
        let pixels = Array(bytes.dropFirst(header.count))
        // Far from the bright pixel, and at the borders (replicate padding), the image stays 128.
        #expect(pixels[0] == 128)
        #expect(pixels[255 * 256 + 255] == 128)
        #expect(pixels[8 * 256 + 8] == 128)
        // Its 3×3 neighbourhood becomes (8·128 + 255) / 9 = 142.1 → 142.
        for (y, x) in [(9, 9), (10, 10), (11, 9), (9, 11)] {
            #expect(pixels[y * 256 + x] == 142)
        }
    }

    @Test func lenet5WithSeededWeightsPrintsTenScores() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = directory.appendingPathComponent("lenet5.safetensors").path
        let digit = directory.appendingPathComponent("digit.npy").path
        let initialized = try cnnc("init-weights", "models/lenet5.yaml", "-o", weights, "--seed", "3")
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(initialized.stdout == "wrote \(weights) (10 tensors, 61,706 values)\n")
        try NPY.write(path: digit, shape: [1, 32, 32], values: (0..<1024).map { Float($0 % 32) / 32 })
        let result = try cnnc("run", "models/lenet5.yaml", "--weights", weights, "--input", digit, "--top", "3")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["output_shape"] as? [Int] == [10])
        let first = try #require((json["results"] as? [[String: Any]])?.first)
        let values = try #require(first["values"] as? [Double])
        #expect(values.count == 10)
        let argmax = try #require(first["argmax"] as? Int)
        #expect(values[argmax] == values.max())
        #expect(first["label"] as? String == String(argmax))
        #expect((first["top"] as? [Any])?.count == 3)
    }

    @Test func initWeightsIsDeterministic() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let paths = ["a", "b", "c"].map { directory.appendingPathComponent("\($0).safetensors").path }
        _ = try cnnc("init-weights", "models/mobile_block.yaml", "-o", paths[0], "--seed", "11")
        _ = try cnnc("init-weights", "models/mobile_block.yaml", "-o", paths[1], "--seed", "11")
        _ = try cnnc("init-weights", "models/mobile_block.yaml", "-o", paths[2], "--seed", "12")
        let bytes = try paths.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        #expect(bytes[0] == bytes[1])
        #expect(bytes[0] != bytes[2])
    }

    @Test func missingWeightsSuggestInitWeights() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let digit = directory.appendingPathComponent("digit.npy").path
        try NPY.write(path: digit, shape: [1, 32, 32], values: [Float](repeating: 0, count: 1024))
        let result = try cnnc("run", "models/lenet5.yaml", "--input", digit)
        #expect(result.status == 1)
        #expect(result.stderr == "cnnc: error: models/lenet5.yaml has no values for 10 weight tensors (c1.weight, c1.bias, c3.weight, …); name a safetensors file with 'weights:' in the spec or --weights, or make one with 'cnnc init-weights models/lenet5.yaml -o lenet5.safetensors'\n")
    }

    @Test func malformedWeightsAreAOneLineErrorNamingTheFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = directory.appendingPathComponent("bad.safetensors")
        // A header length far past the end of the file.
        try Data([0xFF, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]).write(to: weights)
        let digit = directory.appendingPathComponent("digit.npy").path
        try NPY.write(path: digit, shape: [1, 32, 32], values: [Float](repeating: 0, count: 1024))
        let result = try cnnc("run", "models/lenet5.yaml", "--weights", weights.path, "--input", digit)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("cnnc: error: \(weights.path): ") == true)
        let unreadable = try cnnc("run", "models/lenet5.yaml", "--weights", directory.appendingPathComponent("none.safetensors").path, "--input", digit)
        #expect(unreadable.status == 2)
        #expect(unreadable.stderr.contains("none.safetensors"))
    }

    @Test func wrongTensorShapesAreDiagnosticsAtTheLayer() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = directory.appendingPathComponent("seed.safetensors").path
        // LeNet's tensors are no match for seed's layers.
        _ = try cnnc("init-weights", "models/lenet5.yaml", "-o", weights)
        let result = try cnnc("check", "models/seed.yaml", "--weights", weights)
        #expect(result.status == 1)
        #expect(result.stderr.contains("models/seed.yaml:7:5: error: 'conv1' needs tensors 'conv1.weight' [3, 1, 3, 3] and 'conv1.bias' [3], which \(weights) does not have"))
        #expect(result.stderr.contains("note: for 'conv1.weight', the file has 'c1.weight' [6, 1, 5, 5], but of another shape"))
        // Ten unused tensors are one warning, not ten.
        #expect(result.stderr.contains("warning: 10 tensors in \(weights) are used by no layer: 'c1.weight', 'c1.bias', 'c3.weight', …\n"))
    }

    @Test func imageFiltersRunWithoutAWeightsFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("photo.pgm")
        try writeTestImage(input)
        let edges = directory.appendingPathComponent("edges.pgm")
        let result = try cnnc("run", "models/edges.yaml", "--input", input.path, "--output", edges.path)
        #expect(result.status == 0, "\(result.stderr)")
        let pixels = Array([UInt8](try Data(contentsOf: edges)).dropFirst(15))
        // Flat regions have no edges; around the bright pixel the gradients are non-zero.
        #expect(pixels[100 * 256 + 100] == 0)
        #expect(pixels[10 * 256 + 9] > 0)
        let color = directory.appendingPathComponent("photo.ppm")
        try Data(Array("P6\n2 2\n255\n".utf8) + [UInt8](repeating: 200, count: 12)).write(to: color)
        let sharpened = directory.appendingPathComponent("sharp.ppm").path
        let sharpen = try cnnc("run", "models/sharpen.yaml", "--input", color.path, "--output", sharpened)
        #expect(sharpen.status == 1)
        #expect(sharpen.stderr.contains("3×256×256"), "\(sharpen.stderr)")
        #expect(sharpen.stderr.contains("2×2"), "\(sharpen.stderr)")
    }
}
