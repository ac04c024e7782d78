import CNNCCore
import Foundation
import Testing

/// Models on which the ONNX fuzz target (Fuzz/, docs/fuzzing.md) found the importer trapping; they
/// are in its seed corpus too. Each is now refused with a reason, and nothing is written.
@Suite struct ImporterFuzzRegressionTests {
    func imported(_ name: String) throws -> ONNXImporter.Result {
        let path = "Fuzz/Corpus/FuzzONNX/" + name
        let bytes = try [UInt8](Data(contentsOf: repositoryRoot.appendingPathComponent(path)))
        let model = try ONNXModelFile.decode(bytes, path: path)
        let options = ONNXImporter.Options(weightsReference: nil, sourcePath: path, sourceSHA256: String(repeating: "0", count: 64))
        return ONNXImport.run(ONNXModelProtoBox(model), options: options, specPath: "imported.yaml")
    }

    func problems(_ name: String) throws -> [String] {
        let result = try imported(name)
        #expect(result.specText == nil)
        return result.problems
    }

    /// A Slice whose start lies after its end made the range `start..<end` trap.
    @Test func aSliceToNothingIsRefused() throws {
        let problems = try problems("regression-empty-slice.onnx")
        #expect(problems.contains { $0.contains("(Slice): slices axis") && $0.contains("to nothing") }, "\(problems)")
    }

    /// A Pad node without inputs was read at `node.input[0]`; every operation's required inputs are now counted first.
    @Test func anOperationWithoutItsInputsIsRefused() throws {
        let problems = try problems("regression-pad-without-input.onnx")
        #expect(problems.contains { $0.contains("(Pad): has 0 inputs; Pad needs 1") }, "\(problems)")
    }

    /// A zero Pad before an AveragePool that counts it became the pool's padding without the check
    /// that each side is smaller than the kernel, so the importer wrote a spec that does not check.
    @Test func aPadWiderThanThePoolKernelIsRefused() throws {
        let problems = try problems("regression-pad-wider-than-pool-kernel.onnx")
        #expect(problems.contains { $0.contains("(AveragePool): pools the output of a Pad") && $0.contains("cnnc needs each side smaller than the kernel") }, "\(problems)")
        #expect(!problems.contains { $0.contains("a bug in cnnc's importer") }, "\(problems)")
    }

    /// FuzzPipeline: `add` of three inputs whose last is an element-wise activation (GELU, exported as
    /// Erf arithmetic) was imported as one add written before the GELU it reads. The importer now
    /// merges ((a + b) + c) into one add only when c is written before it.
    @Test func anAddOfThreeReadingALaterExpressionImportsInOrder() throws {
        let text = """
            name: m
            input: {channels: 1, height: 4, width: 4}
            layers:
              - batchnorm
              - gelu
              - add: {from: [input, batchnorm1, gelu1]}

            """
        let network = try #require(SpecPipeline.run(SourceFile(path: "m.yaml", text: text)).network)
        let weights = NetworkWeights(values: Dictionary(uniqueKeysWithValues: WeightInitializer.tensors(for: network, seed: 0).map { ($0.name, $0.values) }))
        let bytes = try ONNXModelFile.bytes(of: ONNXExporter.export(network, weights: weights))
        let options = ONNXImporter.Options(weightsReference: nil, sourcePath: "m.onnx", sourceSHA256: String(repeating: "0", count: 64))
        let result = ONNXImport.run(ONNXModelProtoBox(try ONNXModelFile.decode(bytes, path: "m.onnx")), options: options, specPath: "imported.yaml")
        #expect(result.problems == [])
        let imported = try #require(result.specText)
        #expect(SpecPipeline.run(SourceFile(path: "imported.yaml", text: imported)).network != nil, "\(imported)")
    }

    /// `add: {from: [input, input, input]}` exports as Add(input, input) and Add(that, input); the
    /// importer read x + x as arithmetic on one tensor, and the whole chain after it (relu, silu) as
    /// one element-wise expression that is no activation, so it refused what cnnc itself exported.
    @Test func anAddOfOneTensorTwiceImportsAsAnAdd() throws {
        let text = """
            name: m
            input: {channels: 2, height: 4, width: 4}
            layers:
              - add: {from: [input, input, input]}
              - relu
              - silu
              - mul: {from: [silu1, silu1]}

            """
        let network = try #require(SpecPipeline.run(SourceFile(path: "m.yaml", text: text)).network)
        let bytes = try ONNXModelFile.bytes(of: ONNXExporter.export(network, weights: NetworkWeights(values: [:])))
        let options = ONNXImporter.Options(weightsReference: nil, sourcePath: "m.onnx", sourceSHA256: String(repeating: "0", count: 64))
        let result = ONNXImport.run(ONNXModelProtoBox(try ONNXModelFile.decode(bytes, path: "m.onnx")), options: options, specPath: "imported.yaml")
        #expect(result.problems == [])
        let imported = try #require(result.specText)
        #expect(imported.contains("add: {from: [input, input, input]}"), "\(imported)")
        #expect(imported.contains("- relu") && imported.contains("- silu"), "\(imported)")
        #expect(imported.contains("mul: {from: [silu1, silu1]}"), "\(imported)")
        #expect(SpecPipeline.run(SourceFile(path: "imported.yaml", text: imported)).network != nil, "\(imported)")
    }

    /// A control character in the model's producer name went into the spec's header comment as it
    /// was, and the spec written did not read back (a YAML syntax error).
    @Test func controlCharactersOfTheModelAreEscapedInTheHeader() throws {
        let result = try imported("regression-control-character-in-producer.onnx")
        #expect(result.problems == [])
        let text = try #require(result.specText)
        #expect(text.contains("produced by py\\u{"), "\(text)")
    }

    /// A graph whose output no node computes (and that is not the input) gave a spec without layers.
    @Test func anOutputThatNothingComputesIsRefused() throws {
        let problems = try problems("regression-output-computed-by-no-node.onnx")
        #expect(problems.contains { $0.contains("is neither the input nor computed by a node") }, "\(problems)")
        #expect(!problems.contains { $0.contains("a bug in cnnc's importer") }, "\(problems)")
    }

    /// A reflect Pad of 65 columns on a 16-wide input became a convolution's padding unchecked.
    @Test func reflectPaddingWiderThanTheInputIsRefused() throws {
        let problems = try problems("regression-reflect-padding-wider-than-input.onnx")
        #expect(problems.contains { $0.contains("in reflect mode; cnnc's reflect padding must be smaller than the input side") }, "\(problems)")
        #expect(!problems.contains { $0.contains("a bug in cnnc's importer") }, "\(problems)")
    }
}

extension ImporterFuzzRegressionTests {
    /// A control character in the graph's name became the spec's `name:` escaped Swift-style, which
    /// YAML cannot read, and a name the spec language refuses anyway: such a name is not kept.
    @Test func aGraphNameTheSpecLanguageRefusesBecomesImported() throws {
        let result = try imported("regression-control-character-in-graph-name.onnx")
        #expect(result.problems == [])
        let text = try #require(result.specText)
        #expect(text.contains("\nname: imported\n"), "\(text)")
        #expect(SpecPipeline.run(SourceFile(path: "imported.yaml", text: text)).network != nil, "\(text)")
    }

    /// A Conv weight of [5, 3, 3, 3] on a 2-channel input was written as it was, and the spec needed
    /// [5, 2, 3, 3] (CI's smoke run found it). Made with onnx.helper: one Conv, input [1, 2, 8, 8].
    @Test func aConvolutionWeightForOtherInputChannelsIsRefused() throws {
        let problems = try problems("regression-conv-weight-channels-differ-from-input.onnx")
        #expect(problems.contains { $0.contains("(Conv): has a weight of shape [5, 3, 3, 3] and group 1 for an input of 2 channels") }, "\(problems)")
        #expect(!problems.contains { $0.contains("a bug in cnnc's importer") }, "\(problems)")
    }

    /// A dilated kernel wider than its padded input became a conv with an output side of 0.
    @Test func aKernelWiderThanItsPaddedInputIsRefused() throws {
        let problems = try problems("regression-dilated-kernel-wider-than-input.onnx")
        #expect(problems.contains { $0.contains("(Conv): slides a 3×3 kernel with dilation 1×9 over a 8×8 input") && $0.contains("it does not fit") }, "\(problems)")
        #expect(!problems.contains { $0.contains("a bug in cnnc's importer") }, "\(problems)")
    }

    /// Resize by scales [1, 1, inf, inf] trapped converting infinity to Int. Made with onnx.helper.
    @Test func aResizeByInfinityIsRefused() throws {
        let problems = try problems("regression-resize-by-infinity.onnx")
        #expect(problems.contains { $0.contains("(Resize): resizes by [1.0, 1.0, inf, inf]") }, "\(problems)")
    }

    /// A Pad whose pads come from a constant input (not clamped as attributes are) by 7.9·10¹⁸
    /// columns, before a Conv and a Resize: the conv's width was that large and the Resize's product
    /// trapped (FuzzONNX, release build). Made with onnx.helper: Pad then Conv.
    @Test func padsBeyondTheLargestIntegerAreRefused() throws {
        let problems = try problems("regression-pad-by-2-to-the-62.onnx")
        #expect(problems.contains { $0.contains("(Pad): pads by [0, 0, 1, 2, 0, 0, 1, 7956016061204297043]; cnnc pads by at most 2,147,483,647") }, "\(problems)")
    }

    /// Every layer the importer defines is bounded as the checker bounds it, so dims multiply
    /// without overflow and the spec written checks: Resize of 5×7 by 2³⁰.
    @Test func layersBeyondTheCheckersLimitsAreRefused() throws {
        let problems = try problems("regression-resize-beyond-the-largest-side.onnx")
        #expect(problems.contains { $0.contains("(Resize): would produce [N, 2, 5368709120, 7516192768], beyond cnnc's limits") }, "\(problems)")
        #expect(!problems.contains { $0.contains("a bug in cnnc's importer") }, "\(problems)")
    }
}
