@testable import CNNCCore
import Testing

@Suite struct WeightBinderTests {
    func checked(_ layers: String..., input: String = "{channels: 1, height: 4, width: 4}") throws -> CheckedNetwork {
        let pipeline = compile("name: t\ninput: \(input)\nlayers:\n" + layers.map { "  - \($0)" }.joined(separator: "\n") + "\n")
        return try #require(pipeline.network, "\(errorLines(pipeline))")
    }

    func messages(_ result: WeightBinder.Result) -> [String] {
        result.diagnostics.sorted.map { diagnostic in
            (diagnostic.location.map { "\($0.start.line):\($0.start.column): " } ?? "") + "\(diagnostic.severity.rawValue): \(diagnostic.message)"
        }
    }

    @Test func aTwoDimensionalFilterAppliesToEveryChannelPairAndNormalizes() throws {
        let network = try checked("conv: {channels: 2, kernel: [1, 2], bias: false, weight: [[1, 3]], normalize: true}",
                                  input: "{channels: 3, height: 4, width: 4}")
        let result = WeightBinder.bind(network, file: nil)
        #expect(result.diagnostics.all.isEmpty)
        // 2 outputs × 3 inputs = 6 copies of [1, 3] / 4.
        #expect(result.weights?[name: "conv1.weight"] == Array([[Float]](repeating: [0.25, 0.75], count: 6).joined()))
    }

    @Test func normalizeDividesEachKernelByItsOwnSum() throws {
        let network = try checked("conv: {channels: 2, kernel: [1, 2], bias: false, weight: [[[[1, 1]]], [[[2, 6]]]], normalize: true}")
        let result = WeightBinder.bind(network, file: nil)
        #expect(result.weights?[name: "conv1.weight"] == [0.5, 0.5, 0.25, 0.75])
    }

    @Test func aZeroSumCannotBeNormalized() throws {
        let network = try checked("conv: {channels: 1, kernel: 3, padding: 1, bias: false, normalize: true, weight: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]}")
        let result = WeightBinder.bind(network, file: nil)
        #expect(messages(result) == ["4:86: error: 'normalize: true' divides each kernel by its sum, but the sum of kernel [0][0] of 'conv1' is 0"])
    }

    @Test func inlineShapeAndCountErrorsPointAtTheList() throws {
        let conv = try checked("conv: {channels: 2, kernel: 3, weight: [[[[1, 2], [3, 4]]]], bias: [1, 2, 3]}")
        #expect(messages(WeightBinder.bind(conv, file: nil)) == [
            "4:44: error: 'weight' of 'conv1' has shape [1, 1, 2, 2], but 'conv1' needs [2, 1, 3, 3] ([out, in/groups, kh, kw]) or one [3, 3] filter",
            "4:72: error: 'bias' of 'conv1' has 3 values, but 'conv1' has 2 outputs",
        ])
        let dense = try checked("flatten", "dense: {units: 2, weight: [[1, 2]]}")
        #expect(messages(WeightBinder.bind(dense, file: nil)) == [
            "5:31: error: 'weight' of 'dense1' has shape [1, 2], but 'dense1' needs [2, 16] ([units, in_features])",
        ])
    }

    @Test func withoutAFileMissingSlotsAreListedNotErrors() throws {
        let network = try checked("conv: {channels: 1, kernel: 1, weight: [[1]]}", "batchnorm")
        let result = WeightBinder.bind(network, file: nil)
        #expect(result.diagnostics.all.isEmpty)
        #expect(result.weights == nil)
        #expect(result.missing.map(\.name) == ["conv1.bias", "batchnorm1.weight", "batchnorm1.bias", "batchnorm1.running_mean", "batchnorm1.running_var"])
    }

    @Test func fileTensorsFillWhatIsNotInlineAndEveryProblemNamesTensorAndLayer() throws {
        let network = try checked("conv: {channels: 2, kernel: 1, weight: [[1]]}", "flatten", "dense: {name: fc, units: 3}")
        try withScratchDirectory { scratch in
            let path = scratch.file("w.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: [
                ("conv1.weight", [2, 1, 1, 1], [9, 9]),      // inline wins
                ("conv1.bias", [2], [0.5, -0.5]),
                ("fc.weight", [3, 31], [Float](repeating: 0, count: 93)),
                ("extra", [1], [1]),
            ])
            let result = WeightBinder.bind(network, file: try SafeTensorsFile.read(path: path))
            #expect(messages(result) == [
                "warning: tensor 'extra' in \(path) is used by no layer",
                "6:5: error: tensor 'fc.weight' in \(path) has shape [3, 31], but 'fc' needs [3, 32]",
                "6:5: error: 'fc' needs tensor 'fc.bias' [3], which \(path) does not have",
            ])
            #expect(result.weights == nil)
        }
    }

    @Test func halfPrecisionTensorsAreConvertedOnLoad() throws {
        let network = try checked("flatten", "dense: {units: 1, bias: false}", input: "{channels: 2, height: 1, width: 1}")
        try withScratchDirectory { scratch in
            // F16 1.0 = 0x3C00, −2.0 = 0xC000, little-endian.
            let bytes = safetensorsBytes(header: #"{"dense1.weight":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]}}"#,
                                         data: [0x00, 0x3C, 0x00, 0xC0])
            let path = try scratch.write("half.safetensors", bytes)
            let result = WeightBinder.bind(network, file: try SafeTensorsFile.read(path: path))
            #expect(result.weights?[name: "dense1.weight"] == [1, -2])
        }
    }

    @Test func aSimilarTensorNameIsSuggested() throws {
        let network = try checked("flatten", "dense: {units: 1, bias: false}", input: "{channels: 2, height: 1, width: 1}")
        try withScratchDirectory { scratch in
            let path = scratch.file("w.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: [("dense.weight", [1, 2], [1, 2])])
            let result = WeightBinder.bind(network, file: try SafeTensorsFile.read(path: path))
            let missing = try #require(result.diagnostics.all.first { $0.severity == .error })
            #expect(missing.notes.first?.message == "the file has 'dense.weight' of that shape; name the layer 'dense' or write tensor: dense to use it")
        }
    }

    /// The issue's case: a near name of the wrong shape must not win over a far name of the right one.
    @Test func aTensorOfTheRightShapeIsPreferredOverANearName() throws {
        let network = try checked("flatten", "dense: {name: '11', units: 10, bias: false}", input: "{channels: 128, height: 1, width: 1}")
        try withScratchDirectory { scratch in
            let path = scratch.file("w.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: [("2.weight", [64, 32, 3, 3], [Float](repeating: 0, count: 64 * 32 * 9)),
                                                              ("10.weight", [10, 128], [Float](repeating: 0, count: 1280))])
            let result = WeightBinder.bind(network, file: try SafeTensorsFile.read(path: path))
            let missing = try #require(result.diagnostics.all.first { $0.severity == .error })
            #expect(missing.message.contains("needs tensor '11.weight' [10, 128]"))
            #expect(missing.notes.map(\.message).contains("the file has '10.weight' of that shape; name the layer '10' or write tensor: \"10\" to use it"),
                    "\(missing.notes)")
            // Names that all start with a position suggest the spec-level fix once.
            #expect(missing.notes.first?.message.contains("add 'weights_names: sequential' to the spec") == true)
        }
    }

    @Test func batchnormStepCountsAreIgnoredSilently() throws {
        let network = try checked("batchnorm: {name: bn}", input: "{channels: 1, height: 1, width: 1}")
        try withScratchDirectory { scratch in
            let path = scratch.file("w.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: ["weight", "bias", "running_mean", "running_var"].map { ("bn.\($0)", [1], [1]) }
                                        + [("bn.num_batches_tracked", [], [7])])
            let result = WeightBinder.bind(network, file: try SafeTensorsFile.read(path: path))
            #expect(result.diagnostics.all.isEmpty, "\(result.diagnostics.all)")
            #expect(result.weights != nil)
        }
    }

    @Test func tensorNamesFollowWeightsNamesPrefixAndTensor() throws {
        let text = """
            name: t
            input: {channels: 1, height: 4, width: 4}
            weights_names: sequential
            weights_prefix: features.
            layers:
              - conv: {channels: 2, kernel: 3, activation: relu}
              - maxpool: {kernel: 2}
              - flatten
              - dense: {units: 3, tensor: classifier}

            """
        let network = try #require(compile(text).network)
        // conv 0, its relu 1, maxpool 2, flatten 3, dense named by tensor:.
        #expect(network.parameterSlots.map(\.name) == ["features.0.weight", "features.0.bias", "classifier.weight", "classifier.bias"])
    }

    @Test func twoLayersCannotBindTheSameTensors() {
        let pipeline = network(input: "{channels: 1, height: 4, width: 4}", "conv: {channels: 1, kernel: 1, tensor: shared}",
                               "conv: {channels: 1, kernel: 1, tensor: shared}", "relu: {tensor: x}")
        #expect(errorLines(pipeline) == [
            "5:44: 'conv2' would read the tensors 'shared.…' of 'conv1'; give one of them another 'tensor:'",
            "6:20: 'tensor' names the tensors of 'relu1', but a relu layer has none",
        ])
    }
}

@Suite struct WeightInitializerTests {
    func lenet() throws -> CheckedNetwork {
        let pipeline = try SpecPipeline.run(path: repositoryRoot.appendingPathComponent("models/lenet5.yaml").path)
        return try #require(pipeline.network)
    }

    @Test func theSameSeedGivesTheSameValuesAndAnotherSeedOthers() throws {
        let network = try lenet()
        let first = WeightInitializer.tensors(for: network, seed: 42)
        let second = WeightInitializer.tensors(for: network, seed: 42)
        let other = WeightInitializer.tensors(for: network, seed: 43)
        #expect(first.map(\.values) == second.map(\.values))
        #expect(first[0].values != other[0].values)
        #expect(first.map(\.name) == network.parameterSlots.map(\.name))
    }

    @Test func weightsAreHeNormalAndBiasesZero() throws {
        let tensors = WeightInitializer.tensors(for: try lenet(), seed: 1)
        // f5: 400 inputs, 48,000 weights: std √(2/400) ≈ 0.0707.
        let f5 = try #require(tensors.first { $0.name == "f5.weight" })
        let mean = f5.values.reduce(0, +) / Float(f5.values.count)
        let std = (f5.values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(f5.values.count)).squareRoot()
        #expect(abs(mean) < 0.002)
        #expect(abs(std - (2.0 / 400).squareRoot()) < 0.002)
        #expect(tensors.first { $0.name == "f5.bias" }?.values.allSatisfy { $0 == 0 } == true)
    }

    @Test func addingALayerDoesNotChangeAnotherLayersValues() throws {
        let one = try #require(compile("name: a\ninput: {channels: 1, height: 4, width: 4}\nlayers: [{conv: {name: c, channels: 2, kernel: 3}}]\n").network)
        let two = try #require(compile("name: a\ninput: {channels: 1, height: 4, width: 4}\nlayers: [{conv: {channels: 1, kernel: 1}}, {conv: {name: c, channels: 2, kernel: 3}}]\n").network)
        let alone = try #require(WeightInitializer.tensors(for: one, seed: 5).first { $0.name == "c.weight" })
        let withAnother = try #require(WeightInitializer.tensors(for: two, seed: 5).first { $0.name == "c.weight" })
        #expect(alone.values == withAnother.values)
    }

    @Test func writtenFileBindsBackExactly() throws {
        let pipeline = try SpecPipeline.run(path: repositoryRoot.appendingPathComponent("models/mobile_block.yaml").path)
        let network = try #require(pipeline.network)
        let tensors = WeightInitializer.tensors(for: network, seed: 9, mode: .randomizeAll)
        try withScratchDirectory { scratch in
            let path = scratch.file("mb.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: tensors)
            let result = WeightBinder.bind(network, file: try SafeTensorsFile.read(path: path))
            #expect(result.diagnostics.all.isEmpty)
            for tensor in tensors {
                #expect(result.weights?[name: tensor.name] == tensor.values)
            }
            // Randomized batchnorm statistics are not the identity.
            #expect(result.weights?[name: "batchnorm1.running_var"]?.allSatisfy { $0 >= 0.5 && $0 <= 1.5 && $0 != 1 } == true)
        }
    }
}
