import CNNCKernels
import CNNCRuntime

/// How a checked network runs in generated code: its steps in order (each a generated function calling
/// one or more kernels with every shape a literal), the buffers they read and write placed in one
/// arena, and the weights laid out as the kernels want them.
///
/// Decisions made here, once, from the network alone (the weights' values are only needed to fill
/// the blob, `blob(_:)`):
/// - layers whose result never reaches the output do not run;
/// - a batchnorm whose producer (conv or dense) has no other reader is folded into its weights and bias;
/// - an element-wise activation whose producer has no other reader runs in the producer's epilogue;
/// - an `add` of two values, one of them a convolution's result that nothing else reads, runs in that
///   convolution's epilogue (the residual connection), as long as the other value already exists;
/// - `dropout` and `flatten` are views of their input: no data moves;
/// - a convolution with padding reads a padded copy, so no kernel tests for the border;
/// - convolutions whose outputs sum few terms run directly; 3×3 stride-1 ones by Winograd's F(2×2, 3×3)
///   unless the plan keeps the reference summation order (their transformed weights computed from the
///   embedded filters on the network's first call); the others as GEMM over gathered columns;
/// - every intermediate tensor, padded copy and GEMM scratch gets a buffer alive from the step that
///   writes it to the last step that reads it; element-wise steps write over an input whose last
///   reader they are; `MemoryPlanner` places the buffers; the last step writes the caller's output.
struct ExecutionPlan {
    /// The order in which the kernels may add each output's terms.
    enum SummationOrder: Sendable {
        /// The interpreter's order (input channel, kernel row, kernel column): results agree with
        /// `cnnc run` within the same-order tolerance of docs/testing.md.
        case reference
        /// Any order a faster kernel needs (Winograd): results agree within the reordered tolerance.
        case fastest
    }

    /// Where a kernel reads or writes: the caller's input or output, or a buffer of the arena, plus an
    /// offset in floats (a slice of a concatenation).
    struct Operand: Hashable {
        enum Base: Hashable {
            case input
            case output
            case buffer(Int)
        }

        var base: Base
        var offset = 0

        static let input = Operand(base: .input)
        static let output = Operand(base: .output)

        func advanced(by floats: Int) -> Operand { Operand(base: base, offset: offset + floats) }
    }

    /// A region of the arena, alive from `firstStep` to `lastStep` (step indices, inclusive).
    struct Buffer: Sendable {
        /// What it holds, for the plan printout and the generated code's comments.
        var purpose: String
        var floats: Int
        var firstStep: Int
        var lastStep: Int
        /// In floats from the arena's start; set by `MemoryPlanner`.
        var offset = 0
    }

    /// A tensor of weights the kernels read: a name for the generated constant, its offset in floats
    /// from its region's start, and how its values come to be.
    struct WeightSlice {
        var name: String
        var offset: Int
        var count: Int
        var contents: Contents

        indirect enum Contents {
            /// In the weights blob the binary embeds, computed when code is generated (packing and
            /// batchnorm folding) from the network's weights.
            case embedded((NetworkWeights) -> [Float])
            /// In static memory of `preparedCount` floats, computed from an embedded slice by the
            /// network's first call: Winograd's transformed filters are 16/9 the size of the 3×3
            /// filters they come from, so the binary embeds the filters.
            case prepared(from: WeightSlice, Transform)
        }

        enum Transform {
            /// `transformWinogradFilters`; where `replacedWithAVX512`, not in AVX-512 compilations on
            /// processors with full-width 512-bit multiply-adds, which run another kernel
            /// (`ExecutionPlan.AVX512Kernel`).
            case winogradFilters(ConvolutionGeometry, replacedWithAVX512: Bool)
            /// `packForChannelLanes`, only in AVX-512 compilations on processors with full-width 512-bit
            /// multiply-adds: the weights of `convolveChannelLanes` where the others run Winograd.
            case channelLanePacking(ConvolutionGeometry)
        }

        var isPrepared: Bool {
            switch contents {
            case .embedded: false
            case .prepared: true
            }
        }
    }

    /// The kernel an AVX-512 compilation runs where the others run Winograd, with its weights (prepared
    /// from the same filters): `channelLanesReplaceWinograd`. Only where the processor multiplies
    /// 512-bit vectors at full width, which the generated library asks at run time
    /// (`GeneratedNames.fullWidthFunction`): on Zen 4, which splits each in two 256-bit halves,
    /// Winograd stays faster.
    enum AVX512Kernel {
        case channelLanes(WeightSlice)
    }

    /// A depthwise convolution's padding, done one plane at a time into `scratch` (`PlanePadding`).
    struct PlanePadding {
        var margins: Margins
        var mode: BorderMode
        var scratch: Operand
    }

    enum Kernel {
        /// `columnPhases` 2: rows stored split by column phase, for a stride-2 convolution (`padPlanesByColumnPhase`).
        case pad(source: Operand, target: Operand, channels: Int, height: Int, width: Int, margins: Margins, mode: BorderMode,
                 columnPhases: Int)
        case convolveDirect(source: Operand, target: Operand, residual: Operand?, weights: WeightSlice, bias: WeightSlice?,
                            geometry: ConvolutionGeometry, activation: ActivationFunction)
        case convolveDirectSpanningRows(source: Operand, target: Operand, residual: Operand?, weights: WeightSlice, bias: WeightSlice?,
                                        geometry: ConvolutionGeometry, activation: ActivationFunction, scratch: Operand)
        case convolveDepthwise(source: Operand, target: Operand, residual: Operand?, weights: WeightSlice, bias: WeightSlice?,
                               geometry: ConvolutionGeometry, activation: ActivationFunction, padding: PlanePadding?)
        case convolveGEMM(source: Operand, target: Operand, residual: Operand?, weights: WeightSlice, bias: WeightSlice?,
                          geometry: ConvolutionGeometry, activation: ActivationFunction, scratch: Operand)
        /// With `avx512`, AVX-512 compilations run another kernel instead, on weights of its own.
        case convolveWinograd(source: Operand, target: Operand, residual: Operand?, weights: WeightSlice, bias: WeightSlice?,
                              geometry: ConvolutionGeometry, activation: ActivationFunction, scratch: Operand, avx512: AVX512Kernel?)
        case convolveChannelLanes(source: Operand, target: Operand, residual: Operand?, weights: WeightSlice, bias: WeightSlice?,
                                  geometry: ConvolutionGeometry, activation: ActivationFunction, scratch: Operand)
        case convolveTransposed(source: Operand, target: Operand, weights: WeightSlice, bias: WeightSlice?,
                                geometry: TransposedGeometry, activation: ActivationFunction)
        case maxPool(source: Operand, target: Operand, geometry: PoolingGeometry)
        case averagePool(source: Operand, target: Operand, geometry: PoolingGeometry, countIncludePad: Bool)
        case globalAveragePool(source: Operand, target: Operand, channels: Int, plane: Int)
        case globalMaxPool(source: Operand, target: Operand, channels: Int, plane: Int)
        case scaleAndShift(source: Operand, target: Operand, scale: WeightSlice, shift: WeightSlice, channels: Int, plane: Int,
                           activation: ActivationFunction)
        case softmax(source: Operand, target: Operand, channels: Int, plane: Int)
        case activate(source: Operand, target: Operand, count: Int, activation: ActivationFunction)
        case dense(source: Operand, target: Operand, weights: WeightSlice, bias: WeightSlice?, inFeatures: Int, outFeatures: Int,
                   activation: ActivationFunction)
        case add(first: Operand, second: Operand, target: Operand, count: Int, activation: ActivationFunction)
        case multiply(first: Operand, second: Operand, target: Operand, count: Int)
        case multiplyChannels(source: Operand, gate: Operand, target: Operand, channels: Int, plane: Int)
        case upsampleNearest(source: Operand, target: Operand, channels: Int, inHeight: Int, inWidth: Int, scale: Pair)
        case upsampleBilinear(source: Operand, target: Operand, channels: Int, inHeight: Int, inWidth: Int, scale: Pair)
        case copy(source: Operand, target: Operand, count: Int)
    }

    /// One generated function: the kernels of one fused group of layers.
    struct Step {
        var kernels: [Kernel]
        /// The layers this step computes (several when fused), for its name and comment.
        var layers: [Int]
    }

    var steps: [Step] = []
    var buffers: [Buffer] = []
    var slices: [WeightSlice] = []
    /// Floats of the weights blob, slices included, each starting on a 64-byte boundary.
    var blobCount = 0
    /// Floats of the prepared weights, laid out the same way.
    var preparedCount = 0
    /// Floats of the arena the generated network allocates once.
    var arenaCount = 0
    /// Whether an AVX-512 compilation chooses a kernel by the width of the processor's 512-bit
    /// multiply-adds (`AVX512Kernel`), so the library carries `GeneratedNames.fullWidthFunction`.
    var asksForFullWidth: Bool {
        slices.contains { slice in
            if case .prepared(_, .channelLanePacking) = slice.contents { true } else { false }
        }
    }
    /// The bytes one call's arena takes (at least one cache line, so no allocation is empty).
    var arenaBytes: Int { max(arenaCount * 4, 64) }
    /// The most floats alive at any one step, a lower bound for any arena.
    var lowerBoundCount = 0

    /// Kernels that several threads share when one sample runs on several (`Kernel.splitsAcrossThreads`).
    var splitKernelCount: Int { steps.reduce(0) { $0 + $1.kernels.filter(\.splitsAcrossThreads).count } }

    /// Bytes of scratch every thread but the first needs when one sample runs on several: its own
    /// shifted rows for a row-spanning convolution, gathered GEMM columns, Winograd-transformed tiles, a
    /// channel-lane convolution's offsets and register block, or a padded depthwise plane (the first uses the arena's).
    /// Its own copy of a padded input (`paddedCopyPerPart`) comes first.
    var partScratchBytes: Int {
        var floats = 0
        for step in steps {
            let copy = paddedCopyPerPart(step)?.floats ?? 0
            for kernel in step.kernels where kernel.splitsAcrossThreads {
                var own = 0
                if case .convolveDepthwise(_, _, _, _, _, let geometry, _, .some) = kernel { own = geometry.inPlane }
                if case .convolveDirectSpanningRows(_, _, _, _, _, let geometry, _, _) = kernel { own = spanningRowsScratchCount(geometry) }
                if case .convolveGEMM(_, _, _, _, _, let geometry, _, _) = kernel { own = gemmScratchCount(geometry) }
                if case .convolveWinograd(_, _, _, _, _, let geometry, _, _, let avx512) = kernel { own = winogradScratchCount(geometry, avx512) }
                if case .convolveChannelLanes(_, _, _, _, _, let geometry, _, _) = kernel { own = channelLanesScratchCount(geometry) }
                floats = max(floats, copy + own)
            }
        }
        return floats * 4
    }

    /// Where a step pads the input of a convolution that splits across threads, every part pads the
    /// whole input into a copy of its own (part 0 into the arena, the others into their scratch) and
    /// no barrier follows. Split, every part read lines of the copy the other had just written, and
    /// rewrote lines the other still held from the layer before: resnet_cifar's 16-channel layers,
    /// chained, took a median 0.78× the time with copies of their own on two threads, in a harness
    /// (docs/codegen.md). Not for grouped convolutions, whose parts take whole groups and so read only
    /// the channels of the split copy they padded themselves (mobile_block's grouped layer took 1.4×
    /// the time with copies of their own). The padding kernel's index and the floats of its copy,
    /// rounded to a cache line.
    func paddedCopyPerPart(_ step: Step) -> (index: Int, floats: Int)? {
        for (index, kernel) in step.kernels.enumerated() {
            guard case .pad(_, let target, _, _, _, _, _, _) = kernel, index + 1 < step.kernels.count,
                  step.kernels[index + 1].splitsAcrossThreads, step.kernels[index + 1].convolutionInput == target,
                  !step.kernels[index + 1].isGroupedConvolution, case .buffer(let buffer) = target.base else { continue }
            return (index, (buffers[buffer].floats + 15) / 16 * 16)
        }
        return nil
    }

    /// Whether some kernel adds in another order than the interpreter, so results agree with it
    /// within docs/testing.md's reordered tolerance rather than the same-order one.
    var reordersSums: Bool {
        steps.contains { step in
            step.kernels.contains { if case .convolveWinograd = $0 { true } else { false } }
        }
    }

    init(network: CheckedNetwork, order: SummationOrder = .fastest) {
        var builder = PlanBuilder(network: network, order: order)
        builder.run()
        self = builder.plan
    }

    init() {}

    /// The embedded weights laid out for the kernels: every embedded slice's values at its offset,
    /// zeros between.
    func blob(_ weights: NetworkWeights) -> [Float] {
        var blob = [Float](repeating: 0, count: blobCount)
        for slice in slices {
            guard case .embedded(let fill) = slice.contents else { continue }
            let values = fill(weights)
            precondition(values.count == slice.count, "slice \(slice.name) has \(values.count) values, planned \(slice.count)")
            blob.replaceSubrange(slice.offset..<slice.offset + slice.count, with: values)
        }
        return blob
    }
}

extension Activation {
    /// The kernel form of an element-wise activation; nil for softmax, which spans channels.
    var function: ActivationFunction? {
        switch self {
        case .relu: .relu
        case .relu6: .relu6
        case .leakyReLU(let alpha): .leakyReLU(alpha: alpha)
        case .elu(let alpha): .elu(alpha: alpha)
        case .sigmoid: .sigmoid
        case .tanh: .tanh
        case .gelu: .gelu
        case .silu: .silu
        case .softmax: nil
        }
    }
}

/// The compilations of a network that can run different kernels for one layer: the one for the
/// target's processor, the AVX-512 one (`CNNC_AVX512`), and the AVX-512 one on a processor whose
/// 512-bit multiply-adds run at full width (`ExecutionPlan.AVX512Kernel`).
enum KernelCompilation: CaseIterable {
    case baseline, avx512, avx512AtFullWidth
}

extension ExecutionPlan.Step {
    /// What `--profile` prints for the step in one compilation: its kernels' strategies, each once
    /// where consecutive ones repeat (`pad + Winograd F(2,3) 3×3`).
    func strategy(in compilation: KernelCompilation) -> String {
        var strategies: [String] = []
        for kernel in kernels where strategies.last != kernel.strategy(in: compilation) {
            strategies.append(kernel.strategy(in: compilation))
        }
        return strategies.joined(separator: " + ")
    }
}

extension ExecutionPlan.Kernel {
    /// How the kernel computes in every compilation, for plans and tests: the baseline's strategy,
    /// and the AVX-512 compilation's in parentheses where it differs
    /// (`row-spanning direct conv 5×5 (AVX-512: direct conv 5×5)`).
    var strategy: String {
        let baseline = strategy(in: .baseline), avx512 = strategy(in: .avx512), atFullWidth = strategy(in: .avx512AtFullWidth)
        if atFullWidth != avx512 { return "\(baseline) (full-width AVX-512: \(atFullWidth))" }
        if avx512 != baseline { return "\(baseline) (AVX-512: \(avx512))" }
        return baseline
    }

    private static func window(_ g: ConvolutionGeometry) -> String {
        "\(g.kernelHeight)×\(g.kernelWidth)" + (g.strideHeight == 1 && g.strideWidth == 1 ? ""
                : g.strideHeight == g.strideWidth ? " s\(g.strideHeight)" : " s\(g.strideHeight)×\(g.strideWidth)")
            + (g.dilationHeight == 1 && g.dilationWidth == 1 ? ""
                : g.dilationHeight == g.dilationWidth ? " d\(g.dilationHeight)" : " d\(g.dilationHeight)×\(g.dilationWidth)")
    }

    /// How the kernel computes in one compilation, for the inferencer's `--profile`: `direct conv 3×3 s2`,
    /// `im2col+GEMM 3×3 d2`, `pad`.
    func strategy(in compilation: KernelCompilation) -> String {
        let window = Self.window
        switch self {
        case .pad: return "pad"
        case .convolveDirect(_, _, _, _, _, let geometry, _): return "direct conv \(window(geometry))"
        case .convolveDirectSpanningRows(_, _, _, _, _, let geometry, let activation, _):
            let wide = compilation != .baseline && !spanningRowsTakePairs(geometry, activation)
                && spanningRowsGiveWayToWideVectors(geometry, activation)
            return (wide ? "" : "row-spanning ") + "direct conv \(window(geometry))"
        case .convolveDepthwise(_, _, _, _, _, let geometry, _, let padding):
            return (padding == nil ? "" : "plane-padded ") + "depthwise \(window(geometry))"
        case .convolveGEMM(_, _, _, _, _, let geometry, _, _): return "im2col+GEMM \(window(geometry))"
        case .convolveWinograd(_, _, _, _, _, let geometry, _, _, let avx512):
            let winograd = "Winograd F(2,3) \(window(geometry))"
            switch avx512 {
            case nil: return winograd
            case .channelLanes?: return compilation == .avx512AtFullWidth ? "channel-lane direct conv \(window(geometry))" : winograd
            }
        case .convolveChannelLanes(_, _, _, _, _, let geometry, _, _): return "channel-lane direct conv \(window(geometry))"
        case .convolveTransposed(_, _, _, _, let geometry, _): return transposedByPhases(geometry) ? "transposed conv by phases" : "transposed conv"
        case .maxPool: return "max pool"
        case .averagePool: return "average pool"
        case .globalAveragePool: return "global average"
        case .globalMaxPool: return "global max"
        case .scaleAndShift: return "scale+shift"
        case .softmax: return "softmax"
        case .activate: return "activation"
        case .dense: return "dense"
        case .add: return "add"
        case .multiply: return "multiply"
        case .multiplyChannels: return "channel gate"
        case .upsampleNearest: return "upsample nearest"
        case .upsampleBilinear: return "upsample bilinear"
        case .copy: return "copy"
        }
    }
}

extension ExecutionPlan.Kernel {
    /// Multiply-adds below which a kernel runs on one thread even when several run the sample: two
    /// barriers cost about as much as this much work at the kernels' speed (docs/codegen.md).
    static let splitThreshold = 65_536
    /// The same for the memory-bound kernels that split (padding copies, pools, upsampling): floats
    /// written or read.
    static let splitFloatsThreshold = 16_384

    /// What a convolution reads; nil for the other kernels.
    var convolutionInput: ExecutionPlan.Operand? {
        switch self {
        case .convolveDirect(let source, _, _, _, _, _, _), .convolveDirectSpanningRows(let source, _, _, _, _, _, _, _),
             .convolveDepthwise(let source, _, _, _, _, _, _, _), .convolveGEMM(let source, _, _, _, _, _, _, _),
             .convolveWinograd(let source, _, _, _, _, _, _, _, _), .convolveChannelLanes(let source, _, _, _, _, _, _, _),
             .convolveTransposed(let source, _, _, _, _, _):
            return source
        case .pad, .maxPool, .averagePool, .globalAveragePool, .globalMaxPool, .scaleAndShift, .softmax, .activate, .dense, .add,
             .multiply, .multiplyChannels, .upsampleNearest, .upsampleBilinear, .copy:
            return nil
        }
    }

    /// A convolution of several groups, other than a depthwise one (which has its own kernel).
    var isGroupedConvolution: Bool {
        switch self {
        case .convolveDirect(_, _, _, _, _, let g, _), .convolveDirectSpanningRows(_, _, _, _, _, let g, _, _),
             .convolveGEMM(_, _, _, _, _, let g, _, _), .convolveWinograd(_, _, _, _, _, let g, _, _, _),
             .convolveChannelLanes(_, _, _, _, _, let g, _, _):
            return g.groups > 1
        case .convolveDepthwise, .convolveTransposed, .pad, .maxPool, .averagePool, .globalAveragePool, .globalMaxPool, .scaleAndShift,
             .softmax, .activate, .dense, .add, .multiply, .multiplyChannels, .upsampleNearest, .upsampleBilinear, .copy:
            return false
        }
    }

    /// Whether several threads share this kernel's work when one sample runs on several threads.
    /// Convolutions (transposed ones by phases), dense layers, padding copies, pools (global ones
    /// too) and upsampling split (`WorkShare`); the element-wise kernels, mostly fused into epilogues,
    /// cost too little beside a barrier to gain from it (a squeeze-and-excitation gate of 36,864
    /// floats took 1.48× the time split).
    var splitsAcrossThreads: Bool {
        switch self {
        case .convolveDirect(_, _, _, _, _, let g, _), .convolveDirectSpanningRows(_, _, _, _, _, let g, _, _),
             .convolveDepthwise(_, _, _, _, _, let g, _, _), .convolveGEMM(_, _, _, _, _, let g, _, _),
             .convolveWinograd(_, _, _, _, _, let g, _, _, _), .convolveChannelLanes(_, _, _, _, _, let g, _, _):
            return g.outChannels * g.outPlane * g.reduction >= Self.splitThreshold
        case .convolveTransposed(_, _, _, _, let g, _):
            return transposedByPhases(g) && g.outChannels * g.outHeight * g.outWidth * g.inChannelsPerGroup >= Self.splitThreshold
        case .dense(_, _, _, _, let inFeatures, let outFeatures, _):
            return inFeatures * outFeatures >= Self.splitThreshold
        case .pad(_, _, let channels, let height, let width, let margins, _, _):
            return channels * (height + margins.top + margins.bottom) * (width + margins.left + margins.right) >= Self.splitFloatsThreshold
        case .maxPool(_, _, let g), .averagePool(_, _, let g, _):
            return g.channels * g.inHeight * g.inWidth >= Self.splitFloatsThreshold
        case .upsampleNearest(_, _, let channels, let inHeight, let inWidth, let scale),
             .upsampleBilinear(_, _, let channels, let inHeight, let inWidth, let scale):
            return channels * inHeight * scale.height * inWidth * scale.width >= Self.splitFloatsThreshold
        case .globalAveragePool(_, _, let channels, let plane), .globalMaxPool(_, _, let channels, let plane):
            return channels * plane >= Self.splitFloatsThreshold
        case .scaleAndShift, .softmax, .activate, .add, .multiply, .multiplyChannels, .copy:
            return false
        }
    }
}

/// Floats of scratch a Winograd step needs: Winograd's, or the channel-lane kernel's where an AVX-512
/// compilation runs that instead (the two compilations share one plan).
func winogradScratchCount(_ g: ConvolutionGeometry, _ avx512: ExecutionPlan.AVX512Kernel?) -> Int {
    switch avx512 {
    case .channelLanes: max(winogradScratchCount(g), channelLanesScratchCount(g))
    case nil: winogradScratchCount(g)
    }
}
