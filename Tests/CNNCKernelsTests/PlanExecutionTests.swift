@testable import CNNCCore
import CNNCKernels
import Foundation
import Testing
import TestTolerance

/// Runs an execution plan in this process with the very kernels generated code calls, so the plan's
/// fusion, folding, buffer choice and every kernel are checked against the reference interpreter on
/// many networks without compiling a package for each.
struct PlanExecutor {
    let plan: ExecutionPlan
    let blob: [Float]
    /// The prepared weights, computed from the blob as the generated network's first call does.
    let prepared: [Float]

    init(plan: ExecutionPlan, weights: NetworkWeights) {
        self.plan = plan
        let blob = plan.blob(weights)
        self.blob = blob
        var prepared = [Float](repeating: .nan, count: max(1, plan.preparedCount))
        blob.withUnsafeBufferPointer { blob in
            prepared.withUnsafeMutableBufferPointer { prepared in
                for slice in plan.slices {
                    guard case .prepared(let source, let transform) = slice.contents else { continue }
                    switch transform {
                    case .winogradFilters(let geometry, _):
                        transformWinogradFilters(blob.baseAddress! + source.offset, into: prepared.baseAddress! + slice.offset, geometry: geometry)
                    case .channelLanePacking(let geometry):
                        packForChannelLanes(blob.baseAddress! + source.offset, into: prepared.baseAddress! + slice.offset, geometry: geometry)
                    }
                }
            }
        }
        self.prepared = prepared
    }

    /// One call; with several `parts`, each kernel that splits (`splitsAcrossThreads`) runs as that
    /// many shares one after another, as the threads of one sample would run them.
    func run(_ input: [Float], outputCount: Int, parts: Int = 1) -> [Float] {
        let arena = UnsafeMutablePointer<Float>.allocate(capacity: max(1, plan.arenaCount))
        arena.initialize(repeating: .nan, count: max(1, plan.arenaCount))
        defer { arena.deallocate() }
        var output = [Float](repeating: .nan, count: outputCount)
        blob.withUnsafeBufferPointer { blob in
          prepared.withUnsafeBufferPointer { prepared in
            input.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { output in
                    let weights = blob.baseAddress!
                    func pointer(_ operand: ExecutionPlan.Operand) -> UnsafeMutablePointer<Float> {
                        switch operand.base {
                        case .input: UnsafeMutablePointer(mutating: input.baseAddress!) + operand.offset
                        case .output: output.baseAddress! + operand.offset
                        case .buffer(let index): arena + plan.buffers[index].offset + operand.offset
                        }
                    }
                    func source(_ operand: ExecutionPlan.Operand) -> UnsafePointer<Float> { UnsafePointer(pointer(operand)) }
                    func slice(_ slice: ExecutionPlan.WeightSlice?) -> UnsafePointer<Float>? {
                        slice.map { ($0.isPrepared ? prepared.baseAddress! : weights) + $0.offset }
                    }
                    for kernel in plan.steps.flatMap(\.kernels) {
                      for part in 0..<(kernel.splitsAcrossThreads ? parts : 1) {
                        let share = WorkShare(part: part, parts: kernel.splitsAcrossThreads ? parts : 1)
                        switch kernel {
                        case .pad(let from, let to, let channels, let height, let width, let margins, let mode, let columnPhases):
                            if columnPhases == 2 {
                                padPlanesByColumnPhase(source(from), into: pointer(to), channels: channels, height: height, width: width,
                                                       margins: margins, mode: mode, share: share)
                            } else {
                                padPlanes(source(from), into: pointer(to), channels: channels, height: height, width: width, margins: margins,
                                          mode: mode, share: share)
                            }
                        case .convolveDirect(let from, let to, let residual, let w, let bias, let geometry, let activation):
                            convolveDirect(source(from), packedWeights: slice(w)!, bias: slice(bias), residual: residual.map(source), output: pointer(to),
                                           geometry: geometry, activation: activation.kernel, share: share)
                        case .convolveDirectSpanningRows(let from, let to, let residual, let w, let bias, let geometry, let activation, let scratch):
                            convolveDirectSpanningRows(source(from), packedWeights: slice(w)!, bias: slice(bias), residual: residual.map(source),
                                                       output: pointer(to), geometry: geometry, activation: activation.kernel,
                                                       scratch: pointer(scratch), share: share)
                        case .convolveDepthwise(let from, let to, let residual, let w, let bias, let geometry, let activation, let padding):
                            convolveDepthwise(source(from), weights: slice(w)!, bias: slice(bias), residual: residual.map(source), output: pointer(to),
                                              geometry: geometry, activation: activation.kernel,
                                              padding: padding.map { PlanePadding(margins: $0.margins, mode: $0.mode, scratch: pointer($0.scratch)) },
                                              share: share)
                        case .convolveGEMM(let from, let to, let residual, let w, let bias, let geometry, let activation, let scratch):
                            convolveGEMM(source(from), packedWeights: slice(w)!, bias: slice(bias), residual: residual.map(source), output: pointer(to),
                                         geometry: geometry, activation: activation.kernel, scratch: pointer(scratch), share: share)
                        case .convolveWinograd(let from, let to, let residual, let w, let bias, let geometry, let activation, let scratch, let avx512):
                            // What the compilation this test was built as runs (`ExecutionPlan.AVX512Kernel`).
                            #if CNNC_AVX512
                            let instead = avx512
                            #else
                            let instead: ExecutionPlan.AVX512Kernel? = nil
                            #endif
                            switch instead {
                            case .channelLanes(let packed):
                                convolveChannelLanes(source(from), packedWeights: slice(packed)!, bias: slice(bias), residual: residual.map(source),
                                                     output: pointer(to), geometry: geometry, activation: activation.kernel, scratch: pointer(scratch),
                                                     share: share)
                            case nil:
                                convolveWinograd(source(from), packedWeights: slice(w)!, bias: slice(bias), residual: residual.map(source),
                                                 output: pointer(to), geometry: geometry, activation: activation.kernel, scratch: pointer(scratch),
                                                 share: share)
                            }
                        case .convolveChannelLanes(let from, let to, let residual, let w, let bias, let geometry, let activation, let scratch):
                            convolveChannelLanes(source(from), packedWeights: slice(w)!, bias: slice(bias), residual: residual.map(source),
                                                 output: pointer(to), geometry: geometry, activation: activation.kernel, scratch: pointer(scratch),
                                                 share: share)
                        case .convolveTransposed(let from, let to, let w, let bias, let geometry, let activation):
                            convolveTransposed(source(from), packedWeights: slice(w)!, bias: slice(bias), output: pointer(to), geometry: geometry,
                                               activation: activation.kernel, share: share)
                        case .maxPool(let from, let to, let geometry):
                            maxPool(source(from), output: pointer(to), geometry: geometry, share: share)
                        case .averagePool(let from, let to, let geometry, let countIncludePad):
                            averagePool(source(from), output: pointer(to), geometry: geometry, countIncludePad: countIncludePad, share: share)
                        case .globalAveragePool(let from, let to, let channels, let plane):
                            globalAveragePool(source(from), output: pointer(to), channels: channels, plane: plane, share: share)
                        case .globalMaxPool(let from, let to, let channels, let plane):
                            globalMaxPool(source(from), output: pointer(to), channels: channels, plane: plane, share: share)
                        case .scaleAndShift(let from, let to, let scale, let shift, let channels, let plane, let activation):
                            scaleAndShift(source(from), scale: slice(scale)!, shift: slice(shift)!, output: pointer(to), channels: channels, plane: plane,
                                          activation: activation.kernel)
                        case .softmax(let from, let to, let channels, let plane):
                            softmaxOverChannels(source(from), output: pointer(to), channels: channels, plane: plane)
                        case .activate(let from, let to, let count, let activation):
                            activate(source(from), output: pointer(to), count: count, activation: activation.kernel)
                        case .dense(let from, let to, let w, let bias, let inFeatures, let outFeatures, let activation):
                            dense(source(from), packedWeights: slice(w)!, bias: slice(bias), output: pointer(to), inFeatures: inFeatures,
                                  outFeatures: outFeatures, activation: activation.kernel, share: share)
                        case .add(let first, let second, let to, let count, let activation):
                            addTensors(source(first), source(second), output: pointer(to), count: count, activation: activation.kernel)
                        case .multiply(let first, let second, let to, let count):
                            multiplyTensors(source(first), source(second), output: pointer(to), count: count)
                        case .multiplyChannels(let from, let gate, let to, let channels, let plane):
                            multiplyChannels(source(from), gate: source(gate), output: pointer(to), channels: channels, plane: plane)
                        case .upsampleNearest(let from, let to, let channels, let inHeight, let inWidth, let scale):
                            upsampleNearest(source(from), output: pointer(to), channels: channels, inHeight: inHeight, inWidth: inWidth,
                                            scaleHeight: scale.height, scaleWidth: scale.width, share: share)
                        case .upsampleBilinear(let from, let to, let channels, let inHeight, let inWidth, let scale):
                            upsampleBilinear(source(from), output: pointer(to), channels: channels, inHeight: inHeight, inWidth: inWidth,
                                             scaleHeight: scale.height, scaleWidth: scale.width, share: share)
                        case .copy(let from, let to, let count):
                            pointer(to).update(from: source(from), count: count)
                        }
                      }
                    }
                }
            }
          }
        }
        return output
    }
}

/// Agreement within a row of docs/testing.md's tolerance table (by default the same-order one).
func expectAgreement(_ actual: [Float], _ expected: [Float], _ context: String, tolerance: Tolerance = .sameOrder,
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    if let problem = tolerance.disagreement(actual, expected) {
        Issue.record("\(context): \(problem)", sourceLocation: sourceLocation)
    }
}

@Suite struct PlanExecutionTests {
    /// Specs that together use every kernel, every fusion and every border mode; an entry starting with
    /// `output:` is a top-level key.
    static let specs: [(String, String, [String])] = [
        ("every padding mode and dilation", "{channels: 2, height: 9, width: 11}", [
            "conv: {channels: 3, kernel: 3, padding: 1, padding_mode: reflect, activation: relu}",
            "conv: {channels: 4, kernel: [3, 2], padding: [2, 0, 1, 1], padding_mode: replicate}",
            "conv: {channels: 5, kernel: 3, padding: 2, padding_mode: circular, dilation: 2, activation: gelu}",
            "conv: {channels: 5, kernel: 2, padding: [0, 1, 1, 0], padding_mode: constant, padding_value: -0.5, activation: elu}",
            "conv: {channels: 6, kernel: 3, padding: same, stride: 2, activation: silu}",
        ]),
        // Padded rows of 2 · width − 1 + kx floats: at stride 2 a row's last eight pixels have only
        // fifteen floats left for the last kernel column (`loadPixels`'s odd half).
        ("stride-2 rows that end on the last kernel column", "{channels: 3, height: 6, width: 32}", [
            "conv: {channels: 8, kernel: 3, padding: same, stride: 2, activation: relu}",
            "conv: {channels: 8, kernel: 3, groups: 8, padding: same, stride: 2}",
        ]),
        // Blocks of four channels take three vectors: rows of 30 hold four (the last overlapping the
        // third), so units of three cross rows and the plane's last unit overlaps the one before; the
        // second convolution adds a residual. (Rows of 28 would go to the row-spanning kernel.)
        ("three vectors of pixels in blocks of four channels", "{channels: 5, height: 4, width: 30}", [
            "conv: {name: first, channels: 16, kernel: 3, padding: 1, activation: relu}",
            "conv: {name: second, channels: 16, kernel: 3, padding: 1}",
            "add: {from: [second, first], activation: tanh}",
        ]),
        // The same rows gathered for GEMM (180 terms keep it off the direct kernel).
        ("stride-2 rows that end on the last kernel column, gathered", "{channels: 20, height: 6, width: 32}", [
            "conv: {channels: 8, kernel: 3, padding: same, stride: 2, activation: relu}",
        ]),
        // More than 150 terms at stride 1 (or stride 2) keep these on GEMM (`prefersDirect`); the first
        // is Winograd's unless the plan keeps the reference order.
        ("GEMM convolutions with batchnorm folded", "{channels: 24, height: 12, width: 12}", [
            "conv: {channels: 16, kernel: 3, padding: 1, bias: false}",
            "batchnorm",
            "relu6",
            "conv: {channels: 13, kernel: 3, stride: 2, padding: same}",
            "batchnorm: {eps: 0.001}",
            "leaky_relu: {alpha: 0.2}",
            "conv: {channels: 32, kernel: 1}",
            "tanh",
            "conv: {channels: 8, kernel: 3, dilation: [2, 1], padding: [2, 2, 1, 1], activation: sigmoid}",
        ]),
        // Deep reductions (1,800 and 1,600 terms), where the gathered block is narrow: gathered with a
        // residual epilogue, and read directly (1×1).
        ("deep reductions", "{channels: 200, height: 6, width: 6}", [
            "conv: {name: deep, channels: 7, kernel: 3, padding: 1, activation: relu}",
            "conv: {name: deeper, channels: 7, kernel: 3, padding: 1, from: input}",
            "add: {from: [deeper, deep], activation: tanh}",
        ]),
        // Stride-2 gathers taking the even half of sixteen floats and finishing rows one float at a
        // time: the 7×7 stem's 253 pixels in two even blocks of 128, the second starting mid-row,
        // then a dilated one.
        ("strided GEMM gathers", "{channels: 3, height: 21, width: 45}", [
            "conv: {channels: 40, kernel: 7, stride: 2, padding: 3, activation: relu}",
            "conv: {channels: 24, kernel: 3, stride: 2, dilation: 2, padding: 2}",
        ]),
        // Padded rows of 73 floats, split by column phase (37 even, 36 odd) for the 7×7 stride-2 GEMM
        // (40 channels) and the dilated stride-2 direct convolution (27 terms) that read them; then
        // every border mode split the same way.
        ("rows split by column phase", "{channels: 3, height: 9, width: 67}", [
            "conv: {name: wide, channels: 40, kernel: 7, stride: 2, padding: 3, activation: relu}",
            "conv: {name: dilated, channels: 8, kernel: 3, stride: 2, dilation: 2, padding: 2, from: input}",
            "conv: {name: reflected, channels: 4, kernel: 3, stride: 2, padding: 1, padding_mode: reflect, from: input}",
            "conv: {name: replicated, channels: 4, kernel: 3, stride: 2, padding: 1, padding_mode: replicate, from: input}",
            "conv: {name: wrapped, channels: 4, kernel: 5, stride: 2, padding: 2, padding_mode: circular, from: input}",
            "conv: {name: filled, channels: 4, kernel: 3, stride: 2, padding: 1, padding_mode: constant, padding_value: -0.5, from: input}",
            "concat: {from: [wide, dilated, reflected, replicated, wrapped, filled]}",
        ]),
        // Stride 2, one group, 16 or 32 output channels, at least 256 terms: output channels in the lanes.
        // strided: two blocks of 16 channels over 35 pixels (the last block of six overlapping the one
        // before, the plane's last pixels stored six at a time) with the sum and relu fused; dilated:
        // 12 pixels, no bias, batchnorm folded. Three parts leave one without a block of channels.
        ("channel-lane convolutions", "{channels: 32, height: 9, width: 13}", [
            "conv: {name: shortcut, channels: 32, kernel: 1, stride: 2}",
            "conv: {name: strided, channels: 32, kernel: 3, stride: 2, padding: 1, from: input}",
            "add: {from: [strided, shortcut], activation: relu}",
            "conv: {name: dilated, channels: 16, kernel: 3, stride: 2, dilation: 2, padding: 2, padding_mode: reflect, bias: false}",
            "batchnorm",
            "silu",
        ]),
        // Weights of more than 1 MiB (120 × 2,304 floats): one block of all 25 pixels.
        ("a strided GEMM with large weights", "{channels: 256, height: 9, width: 9}", [
            "conv: {channels: 120, kernel: 3, stride: 2, padding: 1, activation: relu}",
        ]),
        ("a deep pointwise reduction", "{channels: 1600, height: 4, width: 4}", [
            "conv: {channels: 9, kernel: 1, activation: silu}",
        ]),
        // Rows of 10 pixels: vectors that span rows, read from the input shifted per kernel column, in
        // channel blocks of 8 (a, eight pixels at a time), 6 (b, ten channels as two blocks, dilated both
        // ways) and 4 (c and d, three channels; d, a 1×1 layer, reads its input as it is and has the sum
        // fused); the blocks of 6 and 4 take sixteen pixels at a time, the last sixteen of 100
        // overlapping the ones before.
        ("direct convolutions whose vectors span rows", "{channels: 3, height: 14, width: 14}", [
            "conv: {name: a, channels: 8, kernel: 5, activation: tanh}",
            "conv: {name: b, channels: 10, kernel: 3, dilation: 2, padding: 2, padding_mode: reflect}",
            "conv: {name: c, channels: 3, kernel: 3, padding: 1, activation: relu}",
            "conv: {name: d, channels: 3, kernel: 1}",
            "add: {from: [d, c], activation: sigmoid}",
        ]),
        // Rows of 80 outputs: two rows at a time in blocks of 32 pixels, then each row's last 16; twelve
        // rows a plane, split into three parts of 32 rows.
        ("depthwise rows in pairs", "{channels: 8, height: 12, width: 80}", [
            "conv: {name: dw1, channels: 8, kernel: 3, groups: 8, padding: 1, padding_mode: replicate, activation: relu}",
            "conv: {name: dw2, channels: 8, kernel: [3, 5], groups: 8, padding: [1, 2], padding_mode: constant, padding_value: 0.25}",
            "add: {from: [dw2, dw1]}",
            "conv: {channels: 8, kernel: 3, groups: 8, dilation: [2, 1], padding: [2, 1]}",
        ]),
        // Rows of 24 outputs: four rows at a time in blocks of 16 pixels, then each row's last 8; eleven
        // rows a plane (two blocks of four, then three single rows), a 5×3 kernel reading eight input
        // rows a block, three parts splitting planes mid-way.
        ("depthwise rows in fours", "{channels: 32, height: 11, width: 24}", [
            "conv: {name: dw1, channels: 32, kernel: 3, groups: 32, padding: 1, activation: relu6}",
            "conv: {name: dw2, channels: 32, kernel: [5, 3], groups: 32, padding: [2, 1], padding_mode: reflect}",
            "add: {from: [dw2, dw1]}",
        ]),
        // Dense passes of eight vectors over panels of 64 outputs and a last pass of the rest: 120
        // outputs as a pass of eight and one of seven (as three parts, whole panels: none, 64 and 56
        // outputs), then 84 as a pass of eight and one of three over a panel 24 wide.
        ("dense layers in passes", "{channels: 8, height: 10, width: 10}", [
            "flatten",
            "dense: {units: 120, activation: tanh}",
            "dense: {units: 84, activation: tanh}",
            "dense: {units: 10}",
        ]),
        ("groups and depthwise", "{channels: 12, height: 10, width: 9}", [
            "conv: {channels: 12, kernel: 3, groups: 12, padding: 1, activation: relu}",
            "conv: {channels: 24, kernel: 3, groups: 4, padding: same}",
            "conv: {channels: 24, kernel: 1, groups: 3, stride: 2}",
            "conv: {channels: 8, kernel: [3, 1], groups: 2, stride: [1, 2]}",
        ]),
        // Strided depthwise layers pad plane by plane; the first two are large enough to split.
        ("strided depthwise, padded plane by plane", "{channels: 24, height: 41, width: 40}", [
            "conv: {channels: 24, kernel: 3, groups: 24, padding: 1, stride: 2, padding_mode: reflect, activation: relu}",
            "conv: {channels: 24, kernel: 5, groups: 24, padding: 2, stride: 2, padding_mode: constant, padding_value: 0.5}",
            "conv: {channels: 24, kernel: 3, groups: 24, padding: [1, 0, 2, 1], stride: [2, 1], padding_mode: replicate}",
        ]),
        ("pooling in every form", "{channels: 3, height: 13, width: 11}", [
            "maxpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}",
            "avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: true}",
            "avgpool: {kernel: 2, stride: 1, padding: [1, 0, 0, 1], count_include_pad: false}",
            "maxpool: {kernel: [2, 3], stride: [1, 2]}",
            "batchnorm",
            "softmax",
            "global_maxpool",
        ]),
        ("wide pooling, vectorised in the interior", "{channels: 2, height: 9, width: 61}", [
            "maxpool: {kernel: 3, stride: [1, 2], padding: 1}",
            "avgpool: {kernel: [2, 3], stride: 1, padding: [0, 1, 1, 1], count_include_pad: true}",
            "avgpool: {kernel: 3, stride: [2, 2], padding: 1, ceil_mode: true, count_include_pad: false}",
            "maxpool: {kernel: [1, 2], stride: [1, 1]}",
        ]),
        ("stride-2 pooling by pairs of columns", "{channels: 2, height: 10, width: 72}", [
            "maxpool: {kernel: [2, 4], stride: 2}",
            "avgpool: {kernel: [1, 5], stride: [1, 2]}",
            "maxpool: {kernel: 2}",
        ]),
        ("classifier head", "{channels: 4, height: 7, width: 6}", [
            "conv: {channels: 37, kernel: 3, activation: relu}",
            "global_avgpool",
            "flatten",
            "dense: {units: 70, bias: false}",
            "batchnorm",
            "relu",
            "dropout: {rate: 0.3}",
            "dense: {units: 3, activation: tanh}",
            "conv: {channels: 5, kernel: 1}",
            "softmax",
        ]),
        ("a network of no-ops", "{channels: 2, height: 3, width: 3}", ["dropout", "flatten"]),
        ("residual blocks: identity, projection, and an add the conv cannot absorb", "{channels: 4, height: 10, width: 10}", [
            "conv: {name: stem, channels: 8, kernel: 3, padding: 1, activation: relu}",
            "conv: {name: a, channels: 8, kernel: 3, padding: 1, bias: false}",
            "add: {from: [a, stem], activation: relu}",
            "conv: {name: b, channels: 16, kernel: 3, stride: 2, padding: 1}",
            "conv: {name: shortcut, channels: 16, kernel: 1, stride: 2, from: relu2}",
            "add: {name: joined, from: [b, shortcut], activation: relu6}",
            "conv: {name: shared, channels: 16, kernel: 3, padding: 1}",
            "add: {name: reused, from: [shared, joined]}",
            "add: {from: [reused, shared, joined]}",
        ]),
        ("GEMM and depthwise convolutions with residuals", "{channels: 24, height: 9, width: 9}", [
            "conv: {name: wide, channels: 24, kernel: 3, padding: 1, activation: relu}",
            "conv: {channels: 24, kernel: 3, padding: 1}",
            "add: {from: [conv2, wide]}",
            "conv: {name: depthwise, channels: 24, kernel: 3, padding: 1, groups: 24}",
            "add: {from: [add1, depthwise], activation: silu}",
        ]),
        ("squeeze-and-excitation and element-wise products", "{channels: 6, height: 7, width: 5}", [
            "conv: {name: features, channels: 12, kernel: 3, padding: 1, activation: relu}",
            "global_avgpool",
            "conv: {channels: 3, kernel: 1, activation: relu}",
            "conv: {channels: 12, kernel: 1, activation: sigmoid}",
            "mul: {name: gated, from: [features, conv3]}",
            "mul: {from: [conv3, gated]}",
            "mul: {from: [mul2, features], activation: tanh}",
            "softmax",
        ]),
        ("an encoder and decoder with every way up", "{channels: 3, height: 12, width: 10}", [
            "conv: {name: enc, channels: 4, kernel: 3, padding: 1, activation: relu}",
            "maxpool: {kernel: 2}",
            "conv: {name: deep, channels: 8, kernel: 3, padding: 1, activation: relu}",
            "upsample: {name: near, scale: 2}",
            "upsample: {name: smooth, scale: 2, mode: bilinear, from: deep}",
            "conv_transpose: {name: learned, channels: 5, kernel: 2, stride: 2, from: deep, activation: relu}",
            "concat: {from: [near, enc, smooth, learned]}",
            "conv: {channels: 3, kernel: 1}",
        ]),
        // 15×14 tiles: two blocks of tiles (the second partly filled), four panels (the last with two
        // channels), patches and outputs over odd sides, residual, batchnorm and border modes.
        ("Winograd convolutions", "{channels: 24, height: 30, width: 27}", [
            "conv: {channels: 20, kernel: 3, padding: 1, bias: false}",
            "batchnorm",
            "relu",
            "conv: {channels: 20, kernel: 3, padding: 1}",
            "add: {from: [conv2, relu1]}",
            "sigmoid",
            "conv: {channels: 7, kernel: 3, padding: [0, 1, 1, 0], padding_mode: replicate, activation: tanh}",
        ]),
        // 5×4 tiles: vectors of eight tiles over two tile rows, patches and outputs all inside, then a
        // partly filled vector.
        ("Winograd convolutions on a narrow map", "{channels: 20, height: 10, width: 8}", [
            "conv: {channels: 20, kernel: 3, padding: 1}",
            "add: {from: [conv1, input]}",
            "relu",
        ]),
        // Dilated Winograd, tiles of outputs d apart in each phase. 34×36 outputs at dilation 2: 9×9
        // tiles per phase, the wide path (columns two apart) beside gathered and edge tiles, with a
        // residual; dilation 3 on 31×33 outputs, where each phase's last tiles hang over; dilation 2×1,
        // the undilated column paths with rows two apart.
        ("dilated Winograd convolutions", "{channels: 18, height: 34, width: 36}", [
            "conv: {channels: 18, kernel: 3, padding: 2, dilation: 2}",
            "add: {from: [conv1, input]}",
            "silu",
            "conv: {channels: 17, kernel: 3, padding: [1, 2, 3, 0], dilation: 3, padding_mode: reflect, activation: relu}",
            "conv: {channels: 16, kernel: 3, padding: [2, 1], dilation: [2, 1], activation: tanh}",
        ]),
        // 70 and 210 columns: the bilinear kernel's neighbours come 64 columns at a time.
        ("bilinear upsampling wider than 64 columns", "{channels: 2, height: 3, width: 35}", [
            "upsample: {scale: 2, mode: bilinear}",
            "upsample: {scale: [1, 3], mode: bilinear}",
        ]),
        ("transposed convolutions in every form", "{channels: 4, height: 5, width: 6}", [
            "conv_transpose: {channels: 6, kernel: 3, stride: 2, padding: 1, output_padding: 1}",
            "conv_transpose: {channels: 4, kernel: [2, 3], stride: [1, 2], padding: [0, 1, 1, 0], groups: 2, bias: false}",
            "conv_transpose: {channels: 9, kernel: 3, dilation: 2, stride: 3, output_padding: [2, 1], activation: elu}",
            "upsample: {scale: [3, 1], mode: bilinear}",
            "upsample: {scale: [1, 2]}",
            // 25 taps: past the 16 the four-pixel path lists.
            "conv_transpose: {channels: 3, kernel: 5, stride: 2, padding: 2}",
        ]),
        // Stride = kernel: one tap reaches each output, so these run by phases. Rows of 20 pixels put
        // a register block's eight pixels across a row's end; one or two kernel columns store whole
        // rows, three go float by float, four one phase at a time.
        ("transposed convolutions by phases", "{channels: 5, height: 3, width: 20}", [
            "conv_transpose: {name: up, channels: 7, kernel: 2, stride: 2, activation: relu}",
            "conv_transpose: {name: wide, channels: 3, kernel: [2, 4], stride: [2, 4], from: input}",
            "maxpool: {kernel: [1, 2]}",
            "concat: {from: [up, maxpool1]}",
            "conv_transpose: {channels: 10, kernel: [1, 3], stride: [1, 3], groups: 5, activation: sigmoid}",
            "conv_transpose: {channels: 4, kernel: 1, bias: false}",
        ]),
        ("element-wise steps in place and a view in a branch", "{channels: 3, height: 6, width: 6}", [
            "conv: {name: x, channels: 4, kernel: 3, padding: 1}",
            "sigmoid",
            "batchnorm",
            "dropout: {from: x}",
            "add: {from: [batchnorm1, dropout1]}",
            "softmax",
            "flatten: {from: x}",
            "dense: {units: 5, from: flatten1}",
            "dropout: {from: softmax1}",
            "global_maxpool",
            "flatten",
            "concat: {from: [flatten2, dense1]}",
        ]),
        ("a middle layer as the output, unused layers skipped", "{channels: 2, height: 5, width: 5}", [
            "conv: {name: kept, channels: 3, kernel: 3}",
            "conv: {name: branch, channels: 3, kernel: 1, from: input}",
            "relu: {from: kept}",
            "conv: {name: after, channels: 2, kernel: 1}",
            "output: relu1",
        ]),
        ("an activation first", "{channels: 2, height: 3, width: 3}", ["sigmoid", "flatten", "dense: {units: 4}"]),
    ]

    @Test(arguments: specs.indices)
    func planAgreesWithTheReferenceInterpreter(_ index: Int) throws {
        let (title, input, layers) = Self.specs[index]
        let topLevel = layers.filter { $0.hasPrefix("output:") }
        let text = "name: t\ninput: \(input)\n" + topLevel.map { $0 + "\n" }.joined() + "layers:\n"
            + layers.filter { !$0.hasPrefix("output:") }.map { "  - \($0)" }.joined(separator: "\n") + "\n"
        let pipeline = SpecPipeline.run(SourceFile(path: "t.yaml", text: text))
        let network = try #require(pipeline.network, "\(title): \(pipeline.renderDiagnostics())")
        let tensors = WeightInitializer.tensors(for: network, seed: UInt64(index), mode: .randomizeAll)
        let weights = NetworkWeights(values: Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0.values) }))
        var generator = Xoshiro256StarStar(seed: 99 + UInt64(index))
        let samples = (0..<2).map { _ in (0..<network.input.count).map { _ in Float(generator.nextNormal()) } }
        for order in [ExecutionPlan.SummationOrder.reference, .fastest] {
            let plan = ExecutionPlan(network: network, order: order)
            #expect(order == .fastest || !plan.reordersSums, "\(title): the reference order reorders sums")
            if order == .fastest && title.contains("Winograd") { #expect(plan.reordersSums, "\(title): no Winograd kernel") }
            if title.contains("span rows") {
                #expect(plan.steps.flatMap(\.kernels).filter { $0.strategy.hasPrefix("row-spanning") }.count == 4, "\(title): \(plan.steps.map { $0.kernels.map(\.strategy) })")
            }
            if title.hasPrefix("transposed convolutions") {
                let strategies = plan.steps.flatMap(\.kernels).map(\.strategy).filter { $0.hasPrefix("transposed") }
                let byPhases = title.hasSuffix("by phases") ? strategies.count : 0
                #expect(strategies.count >= 4 && strategies.filter { $0 == "transposed conv by phases" }.count == byPhases, "\(title): \(strategies)")
            }
            let executor = PlanExecutor(plan: plan, weights: weights)
            for sample in samples {
                let expected = ReferenceInterpreter(network: network, weights: weights).run(sample)
                let actual = executor.run(sample, outputCount: network.output.count)
                expectAgreement(actual, expected, "\(title), \(order)", tolerance: plan.reordersSums ? .reordered : .sameOrder)
                // As three threads would run it: every output computed the same way, so the same bits.
                #expect(executor.run(sample, outputCount: network.output.count, parts: 3) == actual, "\(title), \(order): three parts")
            }
        }
    }

    @Test func fusionFoldsBatchnormAndActivationsIntoTheirProducer() throws {
        let text = "name: t\ninput: {channels: 3, height: 8, width: 8}\nlayers:\n  - conv: {channels: 16, kernel: 3, bias: false}\n  - batchnorm\n  - relu\n  - dropout\n  - flatten\n  - dense: {units: 4}\n"
        let network = try #require(SpecPipeline.run(SourceFile(path: "t.yaml", text: text)).network)
        let plan = ExecutionPlan(network: network)
        #expect(plan.steps.map(\.layers) == [[0, 1, 2], [5]])
        guard case .dense(_, let target, _, _, _, _, _) = plan.steps.last?.kernels.last else {
            Issue.record("the last step is not the dense layer")
            return
        }
        #expect(target == .output)
    }
}
