/// Output features per vector of the dense kernel; packed weights are padded to a multiple of it.
package let denseLaneCount = 8

/// Outputs of one pass of the dense kernel over the inputs, and of one panel of its packed weights.
package let densePanelWidth = 64

/// Floats of packed dense weights: `[in][out rounded up to 8]`, in panels of 64 outputs.
package func densePackedCount(inFeatures: Int, outFeatures: Int) -> Int {
    inFeatures * roundUp(outFeatures, to: denseLaneCount)
}

/// Transposes PyTorch's `[out, in]` into panels of 64 outputs, each `[in][64]` (the last as wide as
/// the outputs left, rounded up to 8 and padded with zeros), so the kernel keeps eight outputs in one
/// vector while walking the inputs in order, and each pass reads one contiguous panel.
package func packForDense(_ weights: [Float], inFeatures: Int, outFeatures: Int) -> [Float] {
    let width = roundUp(outFeatures, to: denseLaneCount)
    var packed = [Float](repeating: 0, count: inFeatures * width)
    for output in 0..<outFeatures {
        let first = output / densePanelWidth * densePanelWidth, panel = min(densePanelWidth, width - first)
        for input in 0..<inFeatures {
            packed[first * inFeatures + input * panel + output - first] = weights[output * inFeatures + input]
        }
    }
    return packed
}

/// `out[o] = activation(Σᵢ W[o, i] · x[i] + bias[o])`, each output's sum taken over i in ascending
/// order (the reference order), eight outputs per vector lane.
@inline(__always)
package func dense(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                  output: UnsafeMutablePointer<Float>, inFeatures: Int, outFeatures: Int, activation: some ActivationKernel,
                  share: WorkShare = .whole) {
    let width = roundUp(outFeatures, to: denseLaneCount)
    // Parts take slices of the outputs, in whole panels.
    let slice = share.range(width, granule: densePanelWidth)
    var first = slice.lowerBound
    // Eight vectors (64 outputs) a pass: each output's sum is one chain of dependent multiply-adds, so
    // independent chains hide their latency; the last pass takes all the (up to seven) vectors left at
    // once, where a pass for each left a single chain waiting on its latency (lenet5's f5, 120 outputs:
    // 0.74–0.77× the time). Transparent: `@inline(__always)` left the pass a call with its sizes at run
    // time (a 64-block callee in a step past 64 blocks; docs/codegen.md), and there eight vectors had
    // measured no faster than four. Inlined, eight against four: lenet5's f5 0.89×, cifar_vgg's dense1
    // 0.90×, imagenet_stem's classifier 0.94× (ABBA rounds of `--profile`, 2026-12-03).
    @_transparent func pass(from first: Int, vectors: Int) {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var s4 = SIMD8<Float>(), s5 = SIMD8<Float>(), s6 = SIMD8<Float>(), s7 = SIMD8<Float>()
        let panel = min(densePanelWidth, width - first)
        for index in 0..<inFeatures {
            let x = SIMD8<Float>(repeating: input[index])
            let row = packedWeights + first * inFeatures + index * panel
            s0.accumulate(x, row.loadVector(at: 0))
            if vectors > 1 { s1.accumulate(x, row.loadVector(at: 8)) }
            if vectors > 2 { s2.accumulate(x, row.loadVector(at: 16)) }
            if vectors > 3 { s3.accumulate(x, row.loadVector(at: 24)) }
            if vectors > 4 { s4.accumulate(x, row.loadVector(at: 32)) }
            if vectors > 5 { s5.accumulate(x, row.loadVector(at: 40)) }
            if vectors > 6 { s6.accumulate(x, row.loadVector(at: 48)) }
            if vectors > 7 { s7.accumulate(x, row.loadVector(at: 56)) }
        }
        storeDense(s0, first: first, bias: bias, output: output, outFeatures: outFeatures, activation: activation)
        if vectors > 1 { storeDense(s1, first: first + 8, bias: bias, output: output, outFeatures: outFeatures, activation: activation) }
        if vectors > 2 { storeDense(s2, first: first + 16, bias: bias, output: output, outFeatures: outFeatures, activation: activation) }
        if vectors > 3 { storeDense(s3, first: first + 24, bias: bias, output: output, outFeatures: outFeatures, activation: activation) }
        if vectors > 4 { storeDense(s4, first: first + 32, bias: bias, output: output, outFeatures: outFeatures, activation: activation) }
        if vectors > 5 { storeDense(s5, first: first + 40, bias: bias, output: output, outFeatures: outFeatures, activation: activation) }
        if vectors > 6 { storeDense(s6, first: first + 48, bias: bias, output: output, outFeatures: outFeatures, activation: activation) }
        if vectors > 7 { storeDense(s7, first: first + 56, bias: bias, output: output, outFeatures: outFeatures, activation: activation) }
    }
    while first + densePanelWidth <= slice.upperBound {
        pass(from: first, vectors: 8)
        first += densePanelWidth
    }
    if first < slice.upperBound { pass(from: first, vectors: (slice.upperBound - first) / denseLaneCount) }
}

@inline(__always)
func storeDense(_ sum: SIMD8<Float>, first: Int, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                outFeatures: Int, activation: some ActivationKernel) {
    let count = min(8, outFeatures - first)
    let shift = bias.map { count == 8 ? $0.loadVector(at: first) : UnsafeMutablePointer(mutating: $0 + first).loadPartial(count) } ?? SIMD8()
    let result = activation.apply(sum + shift)
    if count == 8 { output.storeVector(result, at: first) } else { (output + first).storePartial(result, count) }
}
