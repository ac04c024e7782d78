import CNNCRuntime
@testable import CNNCCore
import Testing

@Suite struct ShapeCheckerTests {
    /// The output shape of the last layer, or the errors.
    func shape(input: String = "{channels: 1, height: 28, width: 28}", _ layers: String...) -> String {
        let list = layers.map { "  - \($0)" }.joined(separator: "\n")
        let pipeline = compile("name: t\ninput: \(input)\nlayers:\n\(list)\n")
        return pipeline.network.map { "\($0.output)" } ?? errorLines(pipeline).joined(separator: "\n")
    }

    @Test func convolutionArithmetic() {
        // floor((28 + 0 − 3) / 1) + 1 = 26
        #expect(shape("conv: {channels: 4, kernel: 3}") == "4×26×26")
        // floor((28 + 2 − 5) / 2) + 1 = 13
        #expect(shape("conv: {channels: 4, kernel: 5, stride: 2, padding: 1}") == "4×13×13")
        // Dilation 2 turns a 3-tap kernel into extent 5: floor((28 − 5) / 1) + 1 = 24
        #expect(shape("conv: {channels: 1, kernel: 3, dilation: 2}") == "1×24×24")
        // Asymmetric: height 28 + 0 + 2 − 3 + 1 = 28, width floor((28 + 1 + 0 − 5) / 2) + 1 = 13
        #expect(shape("conv: {channels: 1, kernel: [3, 5], stride: [1, 2], padding: [0, 2, 1, 0]}") == "1×28×13")
    }

    @Test func samePaddingPutsTheOddPixelAfter() throws {
        // 28 / stride 2 → 14; total = max(0, 13·2 + 3 − 28) = 1 → top 0, bottom 1.
        let pipeline = network("conv: {channels: 1, kernel: 3, stride: 2, padding: same}")
        guard case .conv(let conv)? = pipeline.network?.layers.first?.operation else {
            Issue.record("expected a conv")
            return
        }
        #expect(conv.window.padding == Padding(top: 0, bottom: 1, left: 0, right: 1))
        #expect(pipeline.network?.output == FeatureShape(channels: 1, height: 14, width: 14))
        // With dilation 3 on 7 wide, stride 1: extent 7, total = 6 + 7 − 7 = 6 → 3 and 3.
        #expect(samePadding(input: 7, extent: 7, stride: 1) == (3, 3))
        // Odd input and stride 3: out = ceil(10/3) = 4, total = 3·3 + 2 − 10 = 1 → 0 and 1.
        #expect(samePadding(input: 10, extent: 2, stride: 3) == (0, 1))
    }

    @Test func ceilModeDropsAWindowThatStartsInThePadding() {
        // in 2, kernel 1, stride 2: floor → 1; ceil → ceil(1/2) + 1 = 2, but the second window starts at 2 ≥ 2 + 0: dropped.
        #expect(windowOutputSize(input: 2, extent: 1, stride: 2, padBefore: 0, padAfter: 0, ceilMode: true) == 1)
        // in 5, kernel 2, stride 2: floor (3/2) + 1 = 2; ceil 3.
        #expect(windowOutputSize(input: 5, extent: 2, stride: 2, padBefore: 0, padAfter: 0, ceilMode: false) == 2)
        #expect(windowOutputSize(input: 5, extent: 2, stride: 2, padBefore: 0, padAfter: 0, ceilMode: true) == 3)
        // in 4, kernel 2, stride 3, padding 1: ceil(4/3) + 1 = 3, but (3−1)·3 = 6 ≥ 4 + 1: dropped to 2.
        #expect(windowOutputSize(input: 4, extent: 2, stride: 3, padBefore: 1, padAfter: 1, ceilMode: true) == 2)
        #expect(shape(input: "{channels: 2, height: 5, width: 7}", "maxpool: {kernel: 2, ceil_mode: true}") == "2×3×4")
        #expect(shape(input: "{channels: 2, height: 5, width: 7}", "maxpool: {kernel: 2}") == "2×2×3")
    }

    @Test func poolsGlobalPoolsFlattenAndDense() {
        #expect(shape("maxpool: {kernel: 3, stride: 2, padding: 1}") == "1×14×14")
        #expect(shape(input: "{channels: 5, height: 9, width: 4}", "global_avgpool") == "5×1×1")
        #expect(shape(input: "{channels: 5, height: 9, width: 4}", "flatten", "dense: {units: 7}") == "7×1×1")
        #expect(shape(input: "{channels: 5, height: 9, width: 4}", "global_maxpool", "dense: {units: 7}") == "7×1×1")
        // Layers after flatten see F×1×1.
        #expect(shape(input: "{channels: 2, height: 3, width: 3}", "flatten", "conv: {channels: 4, kernel: 1}", "batchnorm", "relu") == "4×1×1")
    }

    @Test func channelAndFeatureMismatchesNameBothNumbers() throws {
        let pipeline = network("conv: {channels: 16, kernel: 3}", "maxpool: {kernel: 2}", "conv: {in_channels: 3, channels: 8, kernel: 3}")
        #expect(errorLines(pipeline) == ["6:25: 'conv2' expects 3 input channels, but 'maxpool1' produces 16"])
        let note = try #require(pipeline.diagnostics.all.first?.notes.first)
        #expect(note.message == "'maxpool1' produces 16×13×13 here")
        #expect(note.location?.start == SourcePosition(line: 5, column: 5))
        let dense = network("flatten", "dense: {units: 4, in_features: 700}")
        #expect(errorLines(dense) == ["5:36: 'dense1' expects 700 input features, but 'flatten1' produces 784"])
    }

    @Test func denseOnASpatialInputSuggestsFlatten() throws {
        let pipeline = network("conv: {channels: 3, kernel: 3}", "dense: {units: 10}")
        #expect(errorLines(pipeline) == ["5:5: 'dense1' needs a flat input, but 'conv1' produces 3×26×26"])
        #expect(pipeline.diagnostics.all.first?.notes.last?.message == "add '- flatten' before 'dense1' to feed it the 2,028 values in C, H, W order")
    }

    @Test func kernelLargerThanThePaddedInput() {
        #expect(shape(input: "{channels: 1, height: 4, width: 9}", "conv: {channels: 1, kernel: 3, dilation: 2, padding: [0, 0, 1, 1]}")
                == "4:5: 'conv1': the 3×3 kernel does not fit its input: its height 5 (dilated from 3) exceeds the input height 4")
        #expect(shape(input: "{channels: 1, height: 4, width: 2}", "conv: {channels: 1, kernel: [1, 5], padding: [0, 0, 1, 1]}")
                == "4:5: 'conv1': the 1×5 kernel does not fit its input: its width 5 exceeds the padded input width 4 (2 + 1 + 1 padding)")
    }

    @Test func paddingModeLimitsPerSide() {
        #expect(shape(input: "{channels: 1, height: 3, width: 8}", "conv: {channels: 1, kernel: 3, padding: 3, padding_mode: reflect}")
                == "4:5: 'conv1' uses reflect padding, which must be smaller than the input side: top padding 3 vs input height 3, bottom padding 3 vs input height 3")
        #expect(shape(input: "{channels: 1, height: 3, width: 8}", "conv: {channels: 1, kernel: 3, padding: 3, padding_mode: circular}") == "1×7×12")
        #expect(shape(input: "{channels: 1, height: 3, width: 8}", "conv: {channels: 1, kernel: 3, padding: 4, padding_mode: circular}")
                == "4:5: 'conv1' uses circular padding, which must be at most the input side: top padding 4 vs input height 3, bottom padding 4 vs input height 3")
    }

    @Test func groupsMustDivideBothChannelCounts() {
        #expect(shape(input: "{channels: 6, height: 8, width: 8}", "conv: {channels: 8, kernel: 1, groups: 4}")
                == "4:44: 'conv1' has groups: 4, which does not divide the 6 input channels")
        #expect(shape(input: "{channels: 6, height: 8, width: 8}", "conv: {channels: 6, kernel: 3, groups: 6}") == "6×6×6")
    }

    @Test func averagePoolingWithPaddingMustSayWhetherPaddingCounts() {
        #expect(shape("avgpool: {kernel: 3, stride: 1, padding: 1}")
                == "4:5: 'avgpool1' pads by 1; state count_include_pad: true or false, because frameworks disagree on whether padding counts in the average")
        #expect(shape("avgpool: {kernel: 3, stride: 1, padding: 1, count_include_pad: false}") == "1×28×28")
        // `same` that resolves to zero padding needs nothing.
        #expect(shape("avgpool: {kernel: 2, padding: same}") == "1×14×14")
        #expect(shape("avgpool: {kernel: 3, stride: 2, padding: same}").contains("pads by [0, 1, 0, 1]"))
    }

    @Test func poolPaddingMustBeSmallerThanTheKernel() {
        #expect(shape("maxpool: {kernel: 2, padding: 2}")
                == "4:35: 'maxpool1' pads too much: each side must be smaller than the kernel, so no window lies wholly in padding (vertical padding 2 vs kernel height 2, horizontal padding 2 vs kernel width 2)")
    }

    @Test func labelsMustMatchTheOutputChannels() {
        let pipeline = compile("name: t\ninput: {channels: 1, height: 2, width: 2}\nlayers: [flatten, {dense: {units: 3}}]\nlabels: [a, b]\n")
        #expect(errorLines(pipeline) == ["4:9: 'labels' has 2 entries, but the network produces 3 classes (3×1×1)"])
    }

    @Test func absurdSizesAreErrorsNotTraps() throws {
        #expect(shape(input: "{channels: 2000000000, height: 2000000000, width: 2000000000}", "relu")
                .contains("more than 1,099,511,627,776 elements"))
        #expect(shape(input: "{channels: 1, height: 2000000000, width: 2000000000}", "conv: {channels: 2000000000, kernel: 1}")
                .contains("more than 1,099,511,627,776"))
        // Strides far larger than the input keep the receptive-field arithmetic in range.
        var layers = Array(repeating: "conv: {channels: 1, kernel: 1, stride: 2000000000}", count: 5)
        layers.append("relu")
        let pipeline = compile("name: t\ninput: {channels: 1, height: 3, width: 3}\nlayers:\n" + layers.map { "  - \($0)" }.joined(separator: "\n"))
        let network = try #require(pipeline.network)
        #expect(NetworkAnalysis(network).layers.last!.receptiveField.isGlobal)
    }

    // MARK: Graphs

    @Test func graphOperationShapes() {
        // (8 − 1)·2 − 2 + 1·(3 − 1) + 1 + 1 = 16: the usual "double the side" transposed convolution.
        #expect(shape(input: "{channels: 4, height: 8, width: 8}", "conv_transpose: {channels: 2, kernel: 3, stride: 2, padding: 1, output_padding: 1}") == "2×16×16")
        // (5 − 1)·3 − 0 + 2·(2 − 1) + 0 + 1 = 15 high; (6 − 1)·1 − 1 + 1 + 1 = 6 wide.
        #expect(shape(input: "{channels: 2, height: 5, width: 6}", "conv_transpose: {channels: 4, kernel: 2, stride: [3, 1], dilation: [2, 1], padding: [0, 0, 1, 0], groups: 2}") == "4×15×6")
        #expect(shape(input: "{channels: 3, height: 5, width: 7}", "upsample: {scale: [2, 3], mode: bilinear}") == "3×10×21")
        #expect(shape(input: "{channels: 3, height: 5, width: 7}", "conv: {channels: 2, kernel: 1}", "concat: {from: [conv1, input, conv1]}") == "7×5×7")
        #expect(shape(input: "{channels: 3, height: 5, width: 7}", "global_maxpool", "mul: {from: [input, global_maxpool1]}") == "3×5×7")
        #expect(shape(input: "{channels: 3, height: 5, width: 7}", "relu", "add: {from: [relu1, input, input]}") == "3×5×7")
    }

    @Test func fromReadsTheResultAfterActivationSugarAndDefaultsToThePreviousLayer() throws {
        let pipeline = network("conv: {name: c, channels: 2, kernel: 3, activation: relu}", "maxpool: {kernel: 2}",
                               "add: {from: [c, c]}", "conv: {channels: 1, kernel: 1}")
        let network = try #require(pipeline.network, "\(errorLines(pipeline))")
        #expect(network.layers.map(\.inputs) == [[.input], [.layer(0)], [.layer(1)], [.layer(1), .layer(1)], [.layer(3)]])
        #expect(network.outputLayer == 4)
        // maxpool1 is read by nothing and is not the output.
        #expect(pipeline.diagnostics.warningCount == 1)
        #expect(!network.isChain)
    }

    @Test func referencesAreResolvedBeforeShapesAndEveryMistakeIsReported() {
        let pipeline = network("conv: {channels: 2, kernel: 3, from: inptu}", "add: {from: [conv1, later]}",
                               "relu: {name: later, from: [relu1]}", "concat: {from: conv1}")
        #expect(errorLines(pipeline) == [
            "4:42: 'conv1' reads 'inptu', which is not a layer of this network; did you mean 'input'?",
            "5:25: 'add1' reads 'later', which is written after it; 'from' may only name earlier layers, because the written order is the order they run in",
            "6:32: 'later' reads 'relu1', which is not a layer of this network",
            "7:20: 'concat1' takes at least two inputs, but 'from' names only 'conv1'; list them, e.g. from: [conv1, …]",
        ])
    }

    @Test func anIndependentBranchIsCheckedAfterAnotherFails() {
        let pipeline = network("conv: {name: bad, channels: 2, kernel: 99}", "dense: {units: 2, from: input}", "add: {from: [bad, input]}")
        // bad's misfit, dense's missing flatten; the add reads the failed layer and says nothing.
        #expect(errorLines(pipeline).count == 2)
    }
}
