@testable import CNNCCore
import CNNCKernels
import Foundation
import Testing

/// Which kernel each layer gets, and that the specs the compile-and-run tests build
/// (`GeneratedInferencerTests`: the bundled models, coverage.yaml and hostile.yaml) between them
/// exercise every kernel of the execution plan.
@Suite struct KernelStrategyTests {
    func plan(_ path: String) throws -> (CheckedNetwork, ExecutionPlan) {
        let pipeline = try SpecPipeline.run(path: repositoryRoot.appendingPathComponent(path).path)
        let network = try #require(pipeline.network, "\(path): \(pipeline.renderDiagnostics())")
        return (network, ExecutionPlan(network: network))
    }

    /// Each step as `layers: strategies`, the form `--profile` prints.
    func strategies(_ path: String) throws -> [String] {
        let (network, plan) = try plan(path)
        return plan.steps.map { step in
            step.layers.map { network.layers[$0].name }.joined(separator: " + ") + ": "
                + step.kernels.map(\.strategy).joined(separator: " + ")
        }
    }

    /// The choice rule (docs/codegen.md): depthwise when every group has one input and one output
    /// channel; direct when each output sums at most 32 terms or a group has fewer than four output
    /// channels (but not 1×1 stride-1 layers of more than 32 output channels on at least 16 pixels),
    /// and, up to 150 terms, at stride 1 unless 1×1, at stride 2 for at most 64 output channels per
    /// group, or when the output has fewer than 16 pixels (with vectors that span rows at stride 1 on
    /// rows of 8 to 15 for up to six channels, or where rows would leave an eighth of the lanes idle
    /// and `kh` × output channels is at least 16); Winograd for the other 3×3 stride-1 ungrouped
    /// ones with at least 16 tiles of 2×2 outputs (of one phase each when dilated); output channels in
    /// the lanes for stride-2 ungrouped ones of a multiple of 16 output channels and at least 256
    /// terms; im2col+GEMM otherwise.
    @Test func theCoverageSpecsLayersGetTheirStrategies() throws {
        #expect(try strategies("Tests/Fixtures/codegen/coverage.yaml") == [
            // 3 channels × 3×3 = 27 terms: direct; rows of 25 would fill 25 of 32 lanes, so its
            // vectors span rows, with AVX-512 too, two channels over seven vectors of sixteen at a time:
            // 42 vectors for the plane's 36, where rows of two vectors in spans of four would take 48
            // (0.88× the time in `--profile`).
            "conv1 + elu1: pad + row-spanning direct conv 3×3",
            // 40 × 3×3 = 360 terms at stride 1 on 23×25 pixels: Winograd, with the sum and the relu
            // in its epilogue, also with AVX-512 (more than 32 channels and 288 terms), whose copy
            // transforms its odd-sided rows of 13 tiles sixteen tiles at a time and multiplies its
            // blocks of 48 tiles with both of `WinogradWideSums`' register blocks.
            "tiled + skip + relu1: pad + Winograd F(2,3) 3×3",
            // 40 × 3×2 = 240 terms, 8 output channels: GEMM.
            "conv3 + gelu1: pad + im2col+GEMM 3×2 d2×1",
            // Four groups of 2 → 3 channels: three outputs per group, direct.
            "conv4 + batchnorm1 + sigmoid1: pad + direct conv 3×3 s2",
            "maxpool1: max pool",
            // 12 × 3×3 = 108 terms at stride 1: direct.
            "conv5 + leaky_relu1: pad + direct conv 3×3",
            "avgpool1: average pool",
            // 16 terms: direct.
            "conv6 + silu1: direct conv 1×1",
            "avgpool2: average pool",
            "relu6_1: activation",
            // Stride 2 with a 3×3 kernel: taps overlap, so the gathering transposed kernel.
            "widened + relu2: transposed conv",
            "narrowed: direct conv 2×2 s2",
            "doubled: upsample nearest",
            "halved: max pool",
            "product: multiply",
            "sum: add",
            "global_maxpool1: global max",
            "dense1 + tanh1: dense",
            "batchnorm2: scale+shift",
            "dense2: dense",
            "softmax1: softmax",
        ])
    }

    @Test func depthwiseAndTheOtherStrategiesFollowTheRule() throws {
        let pipeline = network(input: "{channels: 16, height: 12, width: 12}",
                               "conv: {channels: 16, kernel: 3, groups: 16, padding: 1}",
                               "conv: {channels: 32, kernel: 1}",
                               "conv: {channels: 33, kernel: 1}",
                               "conv: {channels: 3, kernel: 3}",
                               "conv: {channels: 8, kernel: 5, stride: 2, dilation: 1, padding: 2}",
                               "conv: {channels: 16, kernel: 3, padding: 1}",
                               "conv: {channels: 144, kernel: 3, padding: 1}",
                               "conv: {channels: 20, kernel: 1}",
                               "conv: {channels: 8, kernel: 3, stride: 2}",
                               "conv: {channels: 144, kernel: 1}",
                               "conv: {channels: 151, kernel: 1}",
                               "conv: {channels: 5, kernel: 3, padding: 1}")
        let network = try #require(pipeline.network)
        #expect(ExecutionPlan(network: network).steps.map { $0.kernels.map(\.strategy) } == [
            ["pad", "depthwise 3×3"],
            // 16 terms; rows of 12 would fill 12 of 16 lanes, so its vectors span rows, read from the
            // input itself.
            ["row-spanning direct conv 1×1"],
            // 32 terms, but 1×1 at stride 1 with more than 32 output channels: GEMM reads the input as it is.
            ["im2col+GEMM 1×1"],
            // 33 × 3×3 terms but three output channels (3×10×10); rows of 10 would fill 10 of 16
            // lanes, so its vectors span rows.
            ["row-spanning direct conv 3×3"],
            // 3 × 5×5 = 75 terms at stride 2, eight output channels (8×5×5).
            ["pad", "direct conv 5×5 s2"],
            // 8 × 3×3 = 72 terms at stride 1.
            ["pad", "direct conv 3×3"],
            // 16 × 3×3 = 144 terms at stride 1 (144×5×5).
            ["pad", "direct conv 3×3"],
            // 144 terms, but 1×1 at stride 1 on 25 pixels: GEMM reads the input as it is.
            ["im2col+GEMM 1×1"],
            // 20 × 3×3 = 180 terms (8×2×2).
            ["im2col+GEMM 3×3 s2"],
            // 8 terms.
            ["direct conv 1×1"],
            // 144 terms, 1×1 on 2×2: fewer pixels than a register block.
            ["direct conv 1×1"],
            // 151 × 3×3 terms.
            ["pad", "im2col+GEMM 3×3"],
        ])
    }

    /// Vectors span rows only at stride 1 both ways, where the input shifted per kernel column lines
    /// consecutive pixels up; that copy is the step's scratch.
    @Test func rowSpanningVectorsNeedStrideOne() throws {
        let pipeline = network(input: "{channels: 6, height: 14, width: 14}",
                               "conv: {channels: 16, kernel: 5}",
                               "conv: {channels: 16, kernel: 5, stride: [2, 1], from: input}",
                               "conv: {channels: 16, kernel: 5, dilation: [2, 1], from: input}",
                               "conv: {channels: 16, kernel: 1, from: input}",
                               "flatten: {from: conv1}", "flatten: {from: conv2}", "flatten: {from: conv3}", "flatten: {from: conv4}",
                               "concat: {from: [flatten1, flatten2, flatten3, flatten4]}")
        let plan = ExecutionPlan(network: try #require(pipeline.network, "\(pipeline.renderDiagnostics())"))
        #expect(plan.steps.prefix(4).map { $0.kernels.map(\.strategy) } == [
            ["row-spanning direct conv 5×5"], ["direct conv 5×5 s2×1"], ["row-spanning direct conv 5×5 d2×1"],
            ["row-spanning direct conv 1×1"],
        ])
        // Six channels, five kernel columns, 14 rows cut to the output's 10 pixels.
        #expect(plan.buffers.contains { $0.purpose == "shifted rows for conv1" && $0.floats == 6 * 5 * 14 * 10 }, "\(plan.buffers.map(\.purpose))")
        // A 1×1 layer reads its input as it is: no copy (a buffer needs at least one float).
        #expect(plan.buffers.contains { $0.purpose == "shifted rows for conv4" && $0.floats == 1 }, "\(plan.buffers.map(\.purpose))")
    }

    /// The AVX-512 compilation runs a row-spanning layer with the wide direct kernel, from the same
    /// packed weights, where its rows fill sixteen lanes and its activation has a sixteen-lane form
    /// (tanh has), unless two channels over seven vectors spanning rows repeat a tenth fewer lanes;
    /// a stride-2 layer of up to 64 output channels and 150 terms is direct.
    @Test func lenetAndTheImagenetStemTakeTheDirectKernels() throws {
        let lenet = try strategies("models/lenet5.yaml")
        // c1's rows of 28 would fill sixteen lanes, but as two vectors each: 57 vectors in spans of
        // three for 49 vectors of output, which pairs of channels compute exactly. c3's rows of 10 span
        // rows in vectors of sixteen there, seven of them, which spans of four would compute as eight.
        // (`GeneratedLibraryTests` counts their zmm multiply-adds.)
        #expect(lenet.prefix(3) == ["c1 + tanh1: row-spanning direct conv 5×5", "s2: average pool",
                                     "c3 + tanh2: row-spanning direct conv 5×5"])
        func geometry(channels: Int, outChannels: Int, side: Int, kernel: Int) -> ConvolutionGeometry {
            ConvolutionGeometry(inChannels: channels, outChannels: outChannels, groups: 1, inHeight: side, inWidth: side,
                                outHeight: side - kernel + 1, outWidth: side - kernel + 1, kernelHeight: kernel, kernelWidth: kernel,
                                strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1)
        }
        let c1 = geometry(channels: 1, outChannels: 6, side: 32, kernel: 5), c3 = geometry(channels: 6, outChannels: 16, side: 14, kernel: 5)
        #expect(spanningRowsTakePairs(c1, .tanh) && spanningRowsTakePairs(c3, .tanh))
        #expect(spanningRowsGiveWayToWideVectors(c1, .tanh) && spanningRowsTakeWideVectors(c3, .tanh))
        // Not with GELU, which has no sixteen-lane form; not for seed's conv2 (three channels, so one
        // pair computes one); not where spans of four fill the plane (eight channels of 8×8: four vectors).
        #expect(!spanningRowsTakePairs(c3, .gelu))
        #expect(!spanningRowsTakePairs(geometry(channels: 3, outChannels: 3, side: 16, kernel: 3), .relu))
        #expect(!spanningRowsTakePairs(geometry(channels: 8, outChannels: 8, side: 10, kernel: 3), .relu))
        // GELU goes by halves of eight: the row-spanning kernel stays.
        let gelu = network(input: "{channels: 1, height: 32, width: 32}", "conv: {channels: 6, kernel: 5, activation: gelu}")
        #expect(ExecutionPlan(network: try #require(gelu.network)).steps[0].kernels.map(\.strategy) == ["row-spanning direct conv 5×5"])
        // 3 × 7×7 = 147 terms, 64 output channels at stride 2.
        #expect(try strategies("models/imagenet_stem.yaml").first == "stem + relu1: pad + direct conv 7×7 s2")
    }

    /// A strided depthwise convolution pads each plane as it goes; at stride 1 a padded copy comes first.
    @Test func stridedDepthwiseLayersPadPlaneByPlane() throws {
        let pipeline = network(input: "{channels: 8, height: 16, width: 16}",
                               "conv: {channels: 8, kernel: 3, groups: 8, padding: 1, stride: 2}",
                               "conv: {channels: 8, kernel: 3, groups: 8, padding: 1, padding_mode: reflect}",
                               "conv: {channels: 8, kernel: 3, groups: 8, stride: 2}")
        let plan = ExecutionPlan(network: try #require(pipeline.network))
        #expect(plan.steps.map { $0.kernels.map(\.strategy) } == [
            ["plane-padded depthwise 3×3 s2"], ["pad", "depthwise 3×3"], ["depthwise 3×3 s2"],
        ])
        #expect(plan.buffers.contains { $0.purpose == "padded plane of conv1" && $0.floats == 18 * 18 }, "\(plan.buffers.map(\.purpose))")
    }

    /// Winograd only where it applies and pays: 3×3, stride 1, one group, at least 16 tiles of 2×2
    /// outputs, more than 150 terms; never when the plan keeps the reference order.
    @Test func winogradTakesLargeThreeByThreeLayersUnlessTheOrderIsKept() throws {
        let pipeline = network(input: "{channels: 17, height: 8, width: 8}",
                               "conv: {name: wide, channels: 17, kernel: 3, padding: 1}",
                               "conv: {channels: 17, kernel: 3}",
                               "conv: {channels: 17, kernel: 3, padding: 2, dilation: 2, from: wide}",
                               "conv: {channels: 17, kernel: 3, padding: 1, groups: 17, from: wide}",
                               "conv: {channels: 34, kernel: 3, padding: 1, groups: 17, from: wide}",
                               "conv: {channels: 8, kernel: 3, padding: 1, stride: 2, from: wide}",
                               "conv: {channels: 16, kernel: [3, 5], padding: [1, 2], from: wide}",
                               "conv: {channels: 16, kernel: 3, padding: 1, from: input}",
                               "flatten: {from: conv2}", "flatten: {from: conv3}", "flatten: {from: conv4}", "flatten: {from: conv5}",
                               "flatten: {from: conv6}", "flatten: {from: conv7}", "flatten: {from: conv8}",
                               "concat: {from: [flatten1, flatten2, flatten3, flatten4, flatten5, flatten6, flatten7]}")
        let network = try #require(pipeline.network, "\(pipeline.renderDiagnostics())")
        let fastest = ExecutionPlan(network: network, order: .fastest)
        // The convolutions' steps; the concatenation's copies follow.
        #expect(fastest.steps.prefix(8).map { $0.kernels.map(\.strategy) } == [
            // 17 × 3×3 = 153 terms on 8×8 pixels: 16 tiles.
            ["pad", "Winograd F(2,3) 3×3"],
            // 6×6 pixels: 9 tiles, too few.
            ["im2col+GEMM 3×3"],
            // Dilated: 16 tiles of outputs two apart, four in each of the four phases.
            ["pad", "Winograd F(2,3) 3×3 d2"],
            ["pad", "depthwise 3×3"],
            // Two outputs per group: direct, and rows of 8 would give it eight sums at a time, so its
            // vectors span rows (sixteen pixels).
            ["pad", "row-spanning direct conv 3×3"],
            ["pad", "im2col+GEMM 3×3 s2"],
            ["pad", "im2col+GEMM 3×5"],
            ["pad", "Winograd F(2,3) 3×3"],
        ])
        #expect(fastest.reordersSums)
        let reference = ExecutionPlan(network: network, order: .reference)
        #expect(reference.steps[0].kernels.map(\.strategy) == ["pad", "im2col+GEMM 3×3"])
        #expect(reference.steps[7].kernels.map(\.strategy) == ["pad", "im2col+GEMM 3×3"])
        #expect(!reference.reordersSums)
    }

    /// Output channels in the lanes for stride-2 layers of one group whose output channels are a
    /// multiple of 16 and whose outputs sum at least 256 terms, in either summation order (it keeps the
    /// reference one); GEMM for the other such layers.
    @Test func channelLanesTakeStrideTwoLayersOfSixteenChannels() throws {
        let pipeline = network(input: "{channels: 32, height: 9, width: 13}",
                               "conv: {channels: 16, kernel: 3, stride: 2, padding: 1}",
                               "conv: {channels: 32, kernel: 5, stride: 2, padding: 2, dilation: 1, from: input}",
                               "conv: {channels: 24, kernel: 3, stride: 2, padding: 1, from: input}",
                               "conv: {channels: 16, kernel: 3, stride: [2, 1], padding: 1, from: input}",
                               "conv: {channels: 16, kernel: [3, 1], stride: 2, from: input}",
                               "flatten: {from: conv1}", "flatten: {from: conv2}", "flatten: {from: conv3}", "flatten: {from: conv4}",
                               "flatten: {from: conv5}",
                               "concat: {from: [flatten1, flatten2, flatten3, flatten4, flatten5]}")
        let network = try #require(pipeline.network, "\(pipeline.renderDiagnostics())")
        for order in [ExecutionPlan.SummationOrder.fastest, .reference] {
            #expect(ExecutionPlan(network: network, order: order).steps.prefix(5).map { $0.kernels.map(\.strategy) } == [
                // 32 × 3×3 = 288 terms.
                ["pad", "channel-lane direct conv 3×3 s2"],
                // 800 terms, two blocks of 16 channels.
                ["pad", "channel-lane direct conv 5×5 s2"],
                // 24 channels: not a multiple of 16.
                ["pad", "im2col+GEMM 3×3 s2"],
                // Stride 1 down the columns.
                ["pad", "im2col+GEMM 3×3 s2×1"],
                // 96 terms, 16 channels at stride 2: direct.
                ["direct conv 3×1 s2"],
            ], "\(order)")
        }
    }

    /// One name per kernel case; the exhaustive switch makes a new kernel name itself here.
    static func kind(_ kernel: ExecutionPlan.Kernel) -> String {
        switch kernel {
        case .pad: "pad"
        case .convolveDirect: "convolveDirect"
        case .convolveDirectSpanningRows: "convolveDirectSpanningRows"
        case .convolveDepthwise: "convolveDepthwise"
        case .convolveGEMM: "convolveGEMM"
        case .convolveWinograd: "convolveWinograd"
        case .convolveChannelLanes: "convolveChannelLanes"
        case .convolveTransposed: "convolveTransposed"
        case .maxPool: "maxPool"
        case .averagePool: "averagePool"
        case .globalAveragePool: "globalAveragePool"
        case .globalMaxPool: "globalMaxPool"
        case .scaleAndShift: "scaleAndShift"
        case .softmax: "softmax"
        case .activate: "activate"
        case .dense: "dense"
        case .add: "add"
        case .multiply: "multiply"
        case .multiplyChannels: "multiplyChannels"
        case .upsampleNearest: "upsampleNearest"
        case .upsampleBilinear: "upsampleBilinear"
        case .copy: "copy"
        }
    }

    static let everyKind: Set<String> = [
        "pad", "convolveDirect", "convolveDirectSpanningRows", "convolveDepthwise", "convolveGEMM", "convolveWinograd", "convolveChannelLanes", "convolveTransposed", "maxPool", "averagePool",
        "globalAveragePool", "globalMaxPool", "scaleAndShift", "softmax", "activate", "dense", "add", "multiply",
        "multiplyChannels", "upsampleNearest", "upsampleBilinear", "copy",
    ]

    @Test func theCompiledSpecsExerciseEveryKernel() throws {
        // Without the bundled models the kernels they alone use go missing, and this fails.
        let models = ModelSummaries.models.map { "models/" + $0 }
        var used: Set<String> = []
        for path in models + ["Tests/Fixtures/codegen/coverage.yaml", "Tests/Fixtures/codegen/hostile.yaml"] {
            used.formUnion(try plan(path).1.steps.flatMap(\.kernels).map(Self.kind))
        }
        #expect(used.isSubset(of: Self.everyKind))
        #expect(Self.everyKind.subtracting(used).sorted() == [], "kernels no compile-and-run spec uses")
    }
}
