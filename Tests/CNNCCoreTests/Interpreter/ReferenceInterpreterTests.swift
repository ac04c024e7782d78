@testable import CNNCCore
import Testing
import TestTolerance
import Foundation

/// Hand-computed cases: every expected number below was worked out on paper from docs/spec.md.
@Suite struct ReferenceInterpreterTests {
    /// The 4×4 image 1…16, row-major.
    static let image4x4: [Float] = (1...16).map(Float.init)

    /// Runs a one-input spec with explicit weights.
    func run(input: String, _ layers: [String], weights: [String: [Float]], _ values: [Float]) throws -> [Float] {
        let text = "name: t\ninput: \(input)\nlayers:\n" + layers.map { "  - \($0)" }.joined(separator: "\n") + "\n"
        let pipeline = compile(text)
        let network = try #require(pipeline.network, "\(errorLines(pipeline))")
        return ReferenceInterpreter(network: network, weights: NetworkWeights(values: weights)).run(values)
    }

    /// Within the same-order row of docs/testing.md's tolerance table.
    func expectClose(_ actual: [Float], _ expected: [Float], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        if let problem = Tolerance.sameOrder.disagreement(actual, expected) {
            Issue.record("\(problem)", sourceLocation: sourceLocation)
        }
    }

    @Test func meanFilterWithZeroPadding() throws {
        let out = try run(input: "{channels: 1, height: 4, width: 4}", ["conv: {channels: 1, kernel: 3, padding: 1, bias: false}"],
                          weights: ["conv1.weight": Array(repeating: 1 / 9, count: 9)], Self.image4x4)
        // Corner (0,0): 1+2+5+6 = 14; edge (0,1): 1+2+3+5+6+7 = 24; centre (1,1): 1+2+3+5+6+7+9+10+11 = 54;
        // corner (3,3): 11+12+15+16 = 54; edge (2,3): 7+8+11+12+15+16 = 69.
        #expect(abs(out[0] - 14 / 9) < 1e-6)
        #expect(abs(out[1] - 24 / 9) < 1e-6)
        #expect(abs(out[5] - 6) < 1e-6)
        #expect(abs(out[15] - 54 / 9) < 1e-6)
        #expect(abs(out[11] - 69 / 9) < 1e-6)
    }

    @Test func sobelOnAHorizontalRamp() throws {
        // Each pixel holds its column index; the x-gradient is (−1·(x−1) + 1·(x+1))·(1 + 2 + 1) = 8 inside.
        let ramp: [Float] = (0..<25).map { Float($0 % 5) }
        let sobelX: [Float] = [-1, 0, 1, -2, 0, 2, -1, 0, 1]
        let out = try run(input: "{channels: 1, height: 5, width: 5}", ["conv: {channels: 1, kernel: 3, bias: false}"],
                          weights: ["conv1.weight": sobelX], ramp)
        expectClose(out, Array(repeating: 8, count: 9))
    }

    @Test func identityKernelReturnsItsInput() throws {
        let out = try run(input: "{channels: 1, height: 4, width: 4}", ["conv: {channels: 1, kernel: 3, padding: same}"],
                          weights: ["conv1.weight": [0, 0, 0, 0, 1, 0, 0, 0, 0], "conv1.bias": [0]], Self.image4x4)
        #expect(out == Self.image4x4)
    }

    @Test func pointwiseConvolutionMixesChannels() throws {
        // out0 = 2a + 3b + 1, out1 = −a + 0.5b; a = 1…4, b = 10…40.
        let input: [Float] = [1, 2, 3, 4, 10, 20, 30, 40]
        let out = try run(input: "{channels: 2, height: 2, width: 2}", ["conv: {channels: 2, kernel: 1}"],
                          weights: ["conv1.weight": [2, 3, -1, 0.5], "conv1.bias": [1, 0]], input)
        #expect(out == [33, 65, 97, 129, 4, 8, 12, 16])
    }

    /// A 1×1 kernel of weight 1 with padding 1 outputs the padded image itself.
    @Test(arguments: [
        ("zeros", [Float]([0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0, 9, 10, 11, 12, 0, 0, 13, 14, 15, 16, 0, 0, 0, 0, 0, 0, 0])),
        ("constant, padding_value: 9", [9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 4, 9, 9, 5, 6, 7, 8, 9, 9, 9, 10, 11, 12, 9, 9, 13, 14, 15, 16, 9, 9, 9, 9, 9, 9, 9]),
        ("reflect", [6, 5, 6, 7, 8, 7, 2, 1, 2, 3, 4, 3, 6, 5, 6, 7, 8, 7, 10, 9, 10, 11, 12, 11, 14, 13, 14, 15, 16, 15, 10, 9, 10, 11, 12, 11]),
        ("replicate", [1, 1, 2, 3, 4, 4, 1, 1, 2, 3, 4, 4, 5, 5, 6, 7, 8, 8, 9, 9, 10, 11, 12, 12, 13, 13, 14, 15, 16, 16, 13, 13, 14, 15, 16, 16]),
        ("circular", [16, 13, 14, 15, 16, 13, 4, 1, 2, 3, 4, 1, 8, 5, 6, 7, 8, 5, 12, 9, 10, 11, 12, 9, 16, 13, 14, 15, 16, 13, 4, 1, 2, 3, 4, 1]),
    ])
    func paddingModesOnA4x4Image(_ mode: String, _ expected: [Float]) throws {
        let out = try run(input: "{channels: 1, height: 4, width: 4}", ["conv: {channels: 1, kernel: 1, padding: 1, padding_mode: \(mode), bias: false}"],
                          weights: ["conv1.weight": [1]], Self.image4x4)
        #expect(out == expected)
    }

    @Test func asymmetricReflectPadding() throws {
        // Two rows on top (rows 2 and 1 mirrored), one column on the right (column 2 mirrored).
        let out = try run(input: "{channels: 1, height: 4, width: 4}",
                          ["conv: {channels: 1, kernel: 1, padding: [2, 0, 0, 1], padding_mode: reflect, bias: false}"],
                          weights: ["conv1.weight": [1]], Self.image4x4)
        #expect(out == [9, 10, 11, 12, 11, 5, 6, 7, 8, 7, 1, 2, 3, 4, 3, 5, 6, 7, 8, 7, 9, 10, 11, 12, 11, 13, 14, 15, 16, 15])
    }

    @Test func stridedAndDilatedConvolution() throws {
        // Row 1…5, kernel [1, 3] dilated by 2 taps columns 0, 2, 4: 1 + 3 + 5 = 9.
        let dilated = try run(input: "{channels: 1, height: 1, width: 5}", ["conv: {channels: 1, kernel: [1, 3], dilation: 2, bias: false}"],
                              weights: ["conv1.weight": [1, 1, 1]], [1, 2, 3, 4, 5])
        #expect(dilated == [9])
        // 2×2 kernel of ones, stride 2 on the 4×4 image: block sums 1+2+5+6, 3+4+7+8, 9+10+13+14, 11+12+15+16.
        let strided = try run(input: "{channels: 1, height: 4, width: 4}", ["conv: {channels: 1, kernel: 2, stride: 2, bias: false}"],
                              weights: ["conv1.weight": [1, 1, 1, 1]], Self.image4x4)
        #expect(strided == [14, 22, 46, 54])
    }

    @Test func groupedAndDepthwiseConvolution() throws {
        // groups 2: out0 sees channel 0 only (×2), out1 channel 1 only (×3).
        let out = try run(input: "{channels: 2, height: 1, width: 2}", ["conv: {channels: 2, kernel: 1, groups: 2, bias: false}"],
                          weights: ["conv1.weight": [2, 3]], [1, 2, 10, 20])
        #expect(out == [2, 4, 30, 60])
        // groups 2 with 4 outputs: outputs 0,1 from channel 0; 2,3 from channel 1.
        let multiplied = try run(input: "{channels: 2, height: 1, width: 1}", ["conv: {channels: 4, kernel: 1, groups: 2, bias: false}"],
                                 weights: ["conv1.weight": [1, -1, 2, -2]], [5, 7])
        #expect(multiplied == [5, -5, 14, -14])
    }

    @Test func maxPoolingWithPaddingNeverLetsPaddingWin() throws {
        // Windows of the 4×4 image with padding 1, stride 2: rows {0}, {1,2}, {3} × the same columns.
        let negated = Self.image4x4.map { -$0 }
        let out = try run(input: "{channels: 1, height: 4, width: 4}", ["maxpool: {kernel: 2, padding: 1}"], weights: [:], negated)
        #expect(out == [-1, -2, -4, -5, -6, -8, -13, -14, -16])
        let positive = try run(input: "{channels: 1, height: 4, width: 4}", ["maxpool: {kernel: 2, padding: 1}"], weights: [:], Self.image4x4)
        #expect(positive == [1, 3, 4, 9, 11, 12, 13, 15, 16])
    }

    @Test func averagePoolingCountsPaddingOnlyWhenAsked() throws {
        let included = try run(input: "{channels: 1, height: 4, width: 4}", ["avgpool: {kernel: 2, padding: 1, count_include_pad: true}"],
                               weights: [:], Self.image4x4)
        // (0,0): 1/4; (0,1): (2+3)/4; (1,1): (6+7+10+11)/4; (2,2): 16/4.
        #expect(included[0] == 0.25)
        #expect(included[1] == 1.25)
        #expect(included[4] == 8.5)
        #expect(included[8] == 4)
        let excluded = try run(input: "{channels: 1, height: 4, width: 4}", ["avgpool: {kernel: 2, padding: 1, count_include_pad: false}"],
                               weights: [:], Self.image4x4)
        #expect(excluded[0] == 1)
        #expect(excluded[1] == 2.5)
        #expect(excluded[4] == 8.5)
        #expect(excluded[8] == 16)
    }

    @Test func ceilModeOverhangNeverCountsInTheAverage() throws {
        // Column 1…6, kernel 3 rows, stride 2, padding 1 each end, ceil: windows start at −1, 1, 3, 5.
        // The last covers row 5 (value 6), padding row 6 and overhang row 7: divisor 2 with padding, 1 without.
        let included = try run(input: "{channels: 1, height: 6, width: 1}",
                               ["avgpool: {kernel: [3, 1], stride: [2, 1], padding: [1, 1, 0, 0], ceil_mode: true, count_include_pad: true}"],
                               weights: [:], [1, 2, 3, 4, 5, 6])
        #expect(included == [1, 3, 5, 3])
        let excluded = try run(input: "{channels: 1, height: 6, width: 1}",
                               ["avgpool: {kernel: [3, 1], stride: [2, 1], padding: [1, 1, 0, 0], ceil_mode: true, count_include_pad: false}"],
                               weights: [:], [1, 2, 3, 4, 5, 6])
        #expect(excluded == [1.5, 3, 5, 6])
        // Max pooling in ceil mode on 5×5 (1…25), kernel 2: the last row and column windows hold one pixel each.
        let maxed = try run(input: "{channels: 1, height: 5, width: 5}", ["maxpool: {kernel: 2, ceil_mode: true}"], weights: [:], (1...25).map(Float.init))
        #expect(maxed == [7, 9, 10, 17, 19, 20, 22, 24, 25])
    }

    @Test func globalPools() throws {
        let average = try run(input: "{channels: 2, height: 2, width: 2}", ["global_avgpool"], weights: [:], [1, 2, 3, 4, -1, -2, -3, -6])
        #expect(average == [2.5, -3])
        let maximum = try run(input: "{channels: 2, height: 2, width: 2}", ["global_maxpool"], weights: [:], [1, 2, 3, 4, -1, -2, -3, -6])
        #expect(maximum == [4, -1])
    }

    @Test func activationsAtKnownPoints() {
        func f(_ activation: Activation, _ x: Float) -> Float { ReferenceInterpreter.elementwise(activation, x) }
        #expect(f(.relu, -1) == 0)
        #expect(f(.relu, 2.5) == 2.5)
        #expect(f(.relu6, 7) == 6)
        #expect(f(.relu6, -3) == 0)
        #expect(f(.leakyReLU(alpha: 0.1), -2) == -0.2)
        #expect(f(.leakyReLU(alpha: 0.1), 3) == 3)
        // e⁻¹ − 1 = −0.6321205588
        #expect(abs(f(.elu(alpha: 1), -1) - -0.6321205588) < 1e-7)
        #expect(f(.elu(alpha: 2), 4) == 4)
        #expect(f(.sigmoid, 0) == 0.5)
        // tanh(0.5) = 0.4621171573
        #expect(abs(f(.tanh, 0.5) - 0.4621171573) < 1e-7)
        // gelu(x) = x·Φ(x): Φ(1) = 0.8413447461, Φ(−1) = 0.1586552539.
        #expect(abs(f(.gelu, 1) - 0.8413447461) < 1e-7)
        #expect(abs(f(.gelu, -1) - -0.1586552539) < 1e-7)
        // silu(1) = 1/(1 + e⁻¹) = 0.7310585786
        #expect(abs(f(.silu, 1) - 0.7310585786) < 1e-7)
        #expect(f(.sigmoid, -200) == 0)
        #expect(f(.silu, -200) == 0)
    }

    @Test func softmaxRunsOverChannelsAtEachPosition() throws {
        // Position 0: channels (0, ln 3) → (1/4, 3/4); position 1: (ln 2, 0) → (2/3, 1/3).
        let out = try run(input: "{channels: 2, height: 1, width: 2}", ["softmax"], weights: [:], [0, logf(2), logf(3), 0])
        expectClose(out, [0.25, 2.0 / 3, 0.75, 1.0 / 3])
    }

    @Test func batchnormUsesItsRunningStatistics() throws {
        // (3 − 1)/√(3 + 1)·2 + 1 = 3; channel 1: (0 − 0)/√(1 + 1)·1 + 0.5 = 0.5.
        let out = try run(input: "{channels: 2, height: 1, width: 1}", ["batchnorm: {eps: 1}"],
                          weights: ["batchnorm1.weight": [2, 1], "batchnorm1.bias": [1, 0.5],
                                    "batchnorm1.running_mean": [1, 0], "batchnorm1.running_var": [3, 1]], [3, 0])
        #expect(out == [3, 0.5])
    }

    @Test func flattenThenDenseUsesCHWOrder() throws {
        // Input channel-major [a0 a1 | b0 b1]; weight row picks b1 − a0; bias 0.5.
        let out = try run(input: "{channels: 2, height: 1, width: 2}", ["flatten", "dense: {units: 1}", "dropout: {rate: 0.5}"],
                          weights: ["dense1.weight": [-1, 0, 0, 1], "dense1.bias": [0.5]], [1, 2, 3, 7])
        #expect(out == [6.5])
    }
    // MARK: Graph operations

    @Test func addSumsItsInputsAndReadsActivationSugar() throws {
        // a = 2x (a 1×1 conv), relu on a; b = x − 3 (bias −3); sum = relu(2x) + (x − 3) + x.
        let x: [Float] = [-2, -1, 1, 3]
        let out = try run(input: "{channels: 1, height: 2, width: 2}",
                          ["conv: {name: a, channels: 1, kernel: 1, bias: false, activation: relu}",
                           "conv: {name: b, channels: 1, kernel: 1, from: input}",
                           "add: {from: [a, b, input]}"],
                          weights: ["a.weight": [2], "b.weight": [1], "b.bias": [-3]], x)
        // x = −2: 0 − 5 − 2; x = −1: 0 − 4 − 1; x = 1: 2 − 2 + 1; x = 3: 6 + 0 + 3.
        #expect(out == [-7, -5, 1, 9] as [Float])
    }

    @Test func mulGatesEachChannelInEitherOrder() throws {
        // Channels 1…4 and 10…40; the gate is each channel's mean: 2.5 and 25.
        let x: [Float] = [1, 2, 3, 4, 10, 20, 30, 40]
        let gated = try run(input: "{channels: 2, height: 2, width: 2}",
                            ["global_avgpool: {name: gate}", "mul: {from: [gate, input]}"], weights: [:], x)
        #expect(gated == [2.5, 5, 7.5, 10, 250, 500, 750, 1000])
        let squared = try run(input: "{channels: 2, height: 2, width: 2}", ["mul: {from: [input, input]}"], weights: [:], x)
        #expect(squared == x.map { $0 * $0 })
    }

    @Test func concatJoinsChannelsInTheOrderListed() throws {
        let x: [Float] = [1, 2, 3, 4]
        let out = try run(input: "{channels: 1, height: 2, width: 2}",
                          ["conv: {name: double, channels: 1, kernel: 1, bias: false}", "concat: {from: [input, double, input]}"],
                          weights: ["double.weight": [2]], x)
        #expect(out == [1, 2, 3, 4, 2, 4, 6, 8, 1, 2, 3, 4])
    }

    @Test func nearestUpsamplingRepeatsPixels() throws {
        let out = try run(input: "{channels: 1, height: 2, width: 2}", ["upsample: {scale: [2, 3]}"], weights: [:], [1, 2, 3, 4])
        #expect(out == [1, 1, 1, 2, 2, 2,
                        1, 1, 1, 2, 2, 2,
                        3, 3, 3, 4, 4, 4,
                        3, 3, 3, 4, 4, 4])
    }

    @Test func bilinearUpsamplingUsesHalfPixelCentres() throws {
        // One row [0, 4] scaled ×2 across: sources (x + ½)/2 − ½ = −¼ → 0 (clamped), ¼, ¾, 1¼ → 1 (last):
        // 0, 0·¾ + 4·¼ = 1, 0·¼ + 4·¾ = 3, 4.
        let out = try run(input: "{channels: 1, height: 1, width: 2}", ["upsample: {scale: [1, 2], mode: bilinear}"], weights: [:], [0, 4])
        expectClose(out, [0, 1, 3, 4])
        // Scale 3 on [0, 6]: sources −⅓ → 0, 0, ⅓, ⅔, 1, 1⅓ → 1: 0, 0, 2, 4, 6, 6.
        let three = try run(input: "{channels: 1, height: 1, width: 2}", ["upsample: {scale: [1, 3], mode: bilinear}"], weights: [:], [0, 6])
        expectClose(three, [0, 0, 2, 4, 6, 6])
    }

    @Test func transposedConvolutionScattersEachInputPixel() throws {
        // Input [1, 2] (1×1×2), kernel [1, 10, 100] (1×3), stride 2: pixel j adds w·x at 2j + k.
        // Full output (side (2−1)·2 + 3 = 5): [1, 10, 100+2, 20, 200]; padding 1 on the width crops one
        // column from each side: [10, 102, 20]; output_padding 1 would add a column at the end.
        let full = try run(input: "{channels: 1, height: 1, width: 2}", ["conv_transpose: {channels: 1, kernel: [1, 3], stride: [1, 2], bias: false}"],
                           weights: ["conv_transpose1.weight": [1, 10, 100]], [1, 2])
        #expect(full == [1, 10, 102, 20, 200])
        let cropped = try run(input: "{channels: 1, height: 1, width: 2}",
                              ["conv_transpose: {channels: 1, kernel: [1, 3], stride: [1, 2], padding: [0, 1], output_padding: [0, 1]}"],
                              weights: ["conv_transpose1.weight": [1, 10, 100], "conv_transpose1.bias": [0.5]], [1, 2])
        #expect(cropped == [10.5, 102.5, 20.5, 200.5])
    }

    @Test func transposedConvolutionWeightsAreInputMajorPerGroup() throws {
        // Two input channels, groups 2, one output channel per group, 1×1 kernel: out_g = w_g · in_g.
        // PyTorch's layout [in, out/groups, kh, kw] = [[[[3]]], [[[5]]]].
        let out = try run(input: "{channels: 2, height: 1, width: 1}", ["conv_transpose: {channels: 2, kernel: 1, groups: 2, bias: false}"],
                          weights: ["conv_transpose1.weight": [3, 5]], [2, 7])
        #expect(out == [6, 35])
        // One input channel to two outputs: [1, 2, 1, 1]: out_o = w[0, o] · x.
        let spread = try run(input: "{channels: 1, height: 1, width: 1}", ["conv_transpose: {channels: 2, kernel: 1, bias: false}"],
                             weights: ["conv_transpose1.weight": [3, 5]], [2])
        #expect(spread == [6, 10])
    }

    @Test func theOutputCanBeAMiddleLayerAndUnusedLayersNeverRun() throws {
        let text = "name: t\ninput: {channels: 1, height: 1, width: 2}\noutput: doubled\nlayers:\n"
            + "  - conv: {name: doubled, channels: 1, kernel: 1, bias: false}\n  - conv: {name: later, channels: 1, kernel: 1, bias: false}\n"
        let network = try #require(compile(text).network)
        // Were `later` run, the result would be 100 times larger.
        let weights = NetworkWeights(values: ["doubled.weight": [2], "later.weight": [100]])
        #expect(ReferenceInterpreter(network: network, weights: weights).run([1, 3]) == [2, 6])
        #expect(network.reachesOutput == [true, false])
    }
}
