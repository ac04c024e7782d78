import CNNCRuntime
import Foundation
import Testing
import TestTolerance

/// `cnnc import` and `cnnc export` on files made outside cnnc: the hand-built pattern models of
/// tools/make_import_fixtures.py and the models PyTorch's exporters wrote (tools/make_onnx_fixtures.py),
/// each compared with ONNX Runtime's output recorded beside it. The round trips of every model and of
/// random specs run in the differential tests (tools/differential.py).
@Suite struct ImportExportTests {
    static let patterns = repositoryRoot.appendingPathComponent("Tests/Fixtures/onnx/patterns")

    static func models(in folder: URL, prefix: String? = nil, invalid: Bool) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
            $0.hasSuffix(".onnx") && $0.hasPrefix("invalid-") == invalid
        }.sorted()
    }

    static let validPatterns = models(in: patterns, invalid: false)
    static let invalidPatterns = models(in: patterns, invalid: true)

    static let pytorch = repositoryRoot.appendingPathComponent("Tests/Fixtures/onnx/pytorch")
    /// Exports whose meaning is not what the PyTorch module computes, refused with this reason: the
    /// dynamo exporter converted a channel softmax down to opset 11, where `axis: 1` flattens C·H·W
    /// (ONNX Runtime then differs from PyTorch; Tests/Fixtures/onnx/pytorch/README.md).
    static let refusedExports = ["softmax_opset11_spatial-dynamo.onnx": "normalises over C·H·W (opset 11's Softmax flattens from its axis)"]
    static let pytorchExports = models(in: pytorch, invalid: false).filter { refusedExports[$0] == nil }

    @Test func theFixtureFoldersAreThere() {
        #expect(Self.validPatterns.count >= 6, "\(Self.validPatterns)")
        #expect(Self.invalidPatterns.count >= 6, "\(Self.invalidPatterns)")
        #expect(Self.pytorchExports.count >= 30, "\(Self.pytorchExports)")
        // Both exporters, and opsets 11 and 13 besides 17+.
        for required in ["mnist_sequential-opset11.onnx", "mnist_sequential-opset13.onnx", "mnist_sequential-opset17.onnx",
                         "resnet20.onnx", "resnet20-dynamo.onnx", "mobilenetv2.onnx", "mobilenetv2-dynamo.onnx",
                         "unet_small.onnx", "unet_small-dynamo.onnx", "digits.onnx"] {
            #expect(Self.pytorchExports.contains(required), "\(required) is missing")
        }
    }

    /// Imports a model into `directory` and runs the spec on the recorded input; the output as read.
    static func importAndRun(_ model: URL, in directory: URL) throws -> (NPYArray, NPYArray) {
        let name = model.deletingPathExtension().lastPathComponent
        let spec = directory.appendingPathComponent(name + ".yaml")
        let imported = try cnnc("import", model.path, "-o", spec.path)
        #expect(imported.status == 0, "\(name): \(imported.stderr)")
        let input = model.deletingPathExtension().appendingPathExtension("input.npy")
        let output = directory.appendingPathComponent(name + ".out.npy")
        let ran = try cnnc("run", spec.path, "--input", input.path, "--output", output.path)
        #expect(ran.status == 0, "\(name): \(ran.stderr)")
        let expected = try NPY.read(path: model.deletingPathExtension().appendingPathExtension("output.npy").path)
        return (try NPY.read(path: output.path), expected)
    }

    /// Within the ONNX Runtime row of docs/testing.md's tolerance table.
    static func expectAgreesWithONNXRuntime(_ got: NPYArray, _ expected: NPYArray, _ name: String,
                                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.shape == expected.shape, "\(name): \(got.shape) vs \(expected.shape)", sourceLocation: sourceLocation)
        if let problem = Tolerance.reordered.disagreement(got.values, expected.values) {
            Issue.record("\(name): \(problem)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: validPatterns)
    func aPatternImportsAndComputesWhatONNXRuntimeDoes(_ file: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (got, expected) = try Self.importAndRun(Self.patterns.appendingPathComponent(file), in: directory)
        Self.expectAgreesWithONNXRuntime(got, expected, file)
    }

    /// What PyTorch's own exporters wrote (tools/make_onnx_fixtures.py): imported, run by the
    /// interpreter and compared with ONNX Runtime's output recorded when the file was made.
    @Test(arguments: pytorchExports)
    func aPyTorchExportImportsAndComputesWhatONNXRuntimeDoes(_ file: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (got, expected) = try Self.importAndRun(Self.pytorch.appendingPathComponent(file), in: directory)
        Self.expectAgreesWithONNXRuntime(got, expected, file)
    }

    @Test(arguments: Array(refusedExports.keys))
    func aPyTorchExportWhoseMeaningChangedIsRefused(_ file: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try cnnc("import", Self.pytorch.appendingPathComponent(file).path, "-o", directory.appendingPathComponent("x.yaml").path)
        #expect(result.status == 1)
        #expect(result.stderr.contains(Self.refusedExports[file]!), "\(result.stderr)")
    }

    /// Two imported models built into inferencers, which agree with ONNX Runtime too: a TorchScript
    /// export at opset 11 (a flat [N, F] output) and a dynamo export of a U-Net (an image output).
    @Test(arguments: ["mnist_sequential-opset11.onnx", "unet_small-dynamo.onnx"])
    func anImportedModelBuildsAndTheBinaryAgrees(_ file: String) async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = Self.pytorch.appendingPathComponent(file)
        let spec = directory.appendingPathComponent(model.deletingPathExtension().lastPathComponent + ".yaml")
        let imported = try cnnc("import", model.path, "-o", spec.path)
        #expect(imported.status == 0, "\(imported.stderr)")
        let built = try await SharedBuilds.shared.binary(for: spec.path, inlineWeights: true)
        let output = directory.appendingPathComponent("out.npy")
        let input = model.deletingPathExtension().appendingPathExtension("input.npy")
        let ran = try run(built.binary, ["--input", input.path, "--output", output.path])
        #expect(ran.status == 0, "\(ran.stderr)")
        let expected = try NPY.read(path: model.deletingPathExtension().appendingPathExtension("output.npy").path)
        Self.expectAgreesWithONNXRuntime(try NPY.read(path: output.path), expected, file)
    }

    /// Each refusal is one or more one-line messages naming the file (and the node), exit status 1, and
    /// nothing written. Goldens: `invalid-NAME.expected`; re-record with CNNC_RECORD_GOLDENS=1.
    @Test(arguments: invalidPatterns)
    func anInvalidModelIsRefusedWithClearLines(_ file: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = directory.appendingPathComponent("out.yaml")
        let path = "Tests/Fixtures/onnx/patterns/" + file
        let result = try cnnc("import", path, "-o", spec.path)
        #expect(result.status == 1, "\(file): exit \(result.status)")
        #expect(!FileManager.default.fileExists(atPath: spec.path))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("out.safetensors").path))
        let golden = Self.patterns.appendingPathComponent(file.replacingOccurrences(of: ".onnx", with: ".expected"))
        if ProcessInfo.processInfo.environment["CNNC_RECORD_GOLDENS"] == "1" {
            try result.stderr.write(to: golden, atomically: true, encoding: .utf8)
        } else {
            #expect(result.stderr == (try? String(contentsOf: golden, encoding: .utf8)), "\(file):\n\(result.stderr)")
        }
    }

    @Test func exportWritesAModelThatImportsToTheSameNetwork() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = directory.appendingPathComponent("w.safetensors").path
        #expect(try cnnc("init-weights", "models/mobilenetv2_block.yaml", "-o", weights, "--randomize-all").status == 0)
        let model = directory.appendingPathComponent("m.onnx").path
        let exported = try cnnc("export", "models/mobilenetv2_block.yaml", "--weights", weights, "-o", model)
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.hasPrefix("wrote \(model): opset 17, "))
        let spec = directory.appendingPathComponent("m.yaml").path
        let imported = try cnnc("import", model, "-o", spec, "--name", "again")
        #expect(imported.status == 0, "\(imported.stderr)")
        let text = try String(contentsOfFile: spec, encoding: .utf8)
        #expect(text.contains("name: again\n"))
        #expect(text.contains("weights: m.safetensors\n"))
        #expect(text.contains("  - mul: {name: block3.se.scale, from: [block3.depthwise.relu, sigmoid1]}\n"), "\(text)")
        // The same summary figures as the original (the labels and comments aside).
        let original = try cnnc("summary", "models/mobilenetv2_block.yaml", "--format", "json")
        let again = try cnnc("summary", spec, "--format", "json")
        func totals(_ json: String) throws -> [String: Int] {
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            return (object?["totals"] as? [String: Int]) ?? [:]
        }
        #expect(try totals(original.stdout) == totals(again.stdout))
    }

    /// A user's state dict beside the spec, or the model itself, is never written over.
    @Test func importAndExportNeverDestroyAnInput() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let stateDict = directory.appendingPathComponent("mnist.safetensors")
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Tests/Fixtures/state_dicts/sequential.safetensors"), to: stateDict)
        let original = try Data(contentsOf: stateDict)
        let model = directory.appendingPathComponent("mnist.onnx")
        try FileManager.default.copyItem(at: Self.pytorch.appendingPathComponent("mnist_sequential-opset17.onnx"), to: model)
        let spec = directory.appendingPathComponent("mnist.yaml").path

        let refused = try cnnc("import", model.path, "-o", spec)
        #expect(refused.status == 2)
        #expect(refused.stderr == "cnnc: error: \(stateDict.path) exists and was not written by cnnc import; name the weights file with --weights-out, or remove it\n")
        #expect(try Data(contentsOf: stateDict) == original)
        #expect(!FileManager.default.fileExists(atPath: spec))
        // Asked for explicitly, another path is fine; a file cnnc import wrote may be replaced.
        #expect(try cnnc("import", model.path, "-o", spec, "--weights-out", directory.appendingPathComponent("w.safetensors").path).status == 0)
        let again = directory.appendingPathComponent("again.yaml").path
        #expect(try cnnc("import", model.path, "-o", again).status == 0)
        #expect(try cnnc("import", model.path, "-o", again).status == 0)

        let onItself = try cnnc("import", model.path, "-o", model.path)
        #expect(onItself.status == 2)
        #expect(onItself.stderr.contains("is also the input"), "\(onItself.stderr)")
        let exported = try cnnc("export", spec, "-o", spec)
        #expect(exported.status == 2)
        #expect(exported.stderr.contains("is also the input"), "\(exported.stderr)")
        #expect(try cnnc("check", spec).status == 0)
        #expect(try cnnc("run", spec, "--input", Self.pytorch.appendingPathComponent("mnist_sequential-opset17.input.npy").path, "--output", spec).status == 2)
        #expect(try cnnc("init-weights", spec, "-o", spec).status == 2)
        #expect(try cnnc("check", spec).status == 0)
    }

    @Test func exportNeedsEveryWeight() throws {
        let result = try cnnc("export", "models/lenet5.yaml", "-o", "/nonexistent/never.onnx")
        #expect(result.status == 1)
        #expect(result.stderr.contains("cnnc init-weights"), "\(result.stderr)")
    }

    /// Real `torch.save` files (Tests/Fixtures/state_dicts: zip and legacy pickle), given as weights
    /// or as a model to import.
    @Test(arguments: [("checkpoint.pt", "zip"), ("legacy.pth", "legacy pickle")])
    func aPyTorchCheckpointIsRecognised(_ file: String, _ format: String) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = "Tests/Fixtures/state_dicts/" + file
        let message = "\(path): this is a PyTorch checkpoint (torch.save, \(format) format); save the weights with safetensors.torch.save_file(model.state_dict(), \"weights.safetensors\")"
        let checked = try cnnc("check", "Tests/Fixtures/state_dicts/tiny.yaml", "--weights", path)
        #expect(checked.status == 1)
        #expect(checked.stderr == "cnnc: error: \(message)\n", "\(checked.stderr)")
        let imported = try cnnc("import", path, "-o", directory.appendingPathComponent("x.yaml").path)
        #expect(imported.status == 1)
        #expect(imported.stderr == "cnnc: error: \(path): not an ONNX model: this is a PyTorch checkpoint (torch.save, \(format) format); save the weights with safetensors.torch.save_file(model.state_dict(), \"weights.safetensors\")\n",
                "\(imported.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func anONNXModelGivenAsWeightsIsNamed() throws {
        let onnx = Self.patterns.appendingPathComponent("circular_pad.onnx").path
        let asWeights = try cnnc("check", "models/lenet5.yaml", "--weights", onnx)
        #expect(asWeights.status == 1)
        #expect(asWeights.stderr.contains("this is an ONNX model; turn it into a spec and weights with 'cnnc import'"), "\(asWeights.stderr)")
    }
}
