// MARK: The direct kernel in 512-bit vectors (AVX-512 builds)

/// Whether an AVX-512 build (`CNNC_AVX512`) computes this direct convolution sixteen pixels per
/// vector, with `convolveDirectWide`: where a tap's pixels are consecutive floats, every row holds
/// a whole vector, and the epilogue's activation has a sixteen-lane form (`applyWide`; by halves,
/// SiLU made mobile_block's dilated layer 2.4× slower than the eight-lane kernel). The generated
/// step calls it under `#if CNNC_AVX512` in place of `convolveDirect`, so that the step holds one
/// kernel call, which the SIL inliner takes as it takes `convolveDirect` (a choice inside the kernel
/// left the wide kernel a call: "What Swift inlines", docs/codegen.md).
package func directTakesWideVectors(_ g: ConvolutionGeometry, _ activation: ActivationFunction) -> Bool {
    g.readsConsecutiveColumns && g.outWidth >= 16 && activation.hasSixteenLaneForm
}

/// Where an AVX-512 build computes a convolution that the other compilation runs with
/// `convolveDirectSpanningRows` with `convolveDirectWide` instead, from the same packed weights: where
/// rows fill its vectors (`directTakesWideVectors`). lenet5's c1 (rows of 28, 5×5) took 0.63× the
/// row-spanning kernel's time (`--profile`, 3 rounds, 2026-12-04); its c3 (rows of 10) keeps it.
package func spanningRowsGiveWayToWideVectors(_ g: ConvolutionGeometry, _ activation: ActivationFunction) -> Bool {
    directTakesWideVectors(g, activation)
}

/// Where an AVX-512 build computes the row-spanning convolution in vectors of sixteen with
/// `convolveDirectSpanningRowsWide`: where the rows are too short for `convolveDirectWide` and the
/// plane holds a whole vector, and the activation has a sixteen-lane form.
package func spanningRowsTakeWideVectors(_ g: ConvolutionGeometry, _ activation: ActivationFunction) -> Bool {
    !spanningRowsGiveWayToWideVectors(g, activation) && g.outPlane >= 16 && activation.hasSixteenLaneForm
}

/// Vectors of sixteen pixels the wide kernels compute for `vectors` vectors of output, `span` at a
/// time: a last span that would run past the end overlaps the one before it instead.
@inline(__always)
func wideSpanWork(vectors: Int, span: Int) -> Int {
    (vectors + span - 1) / span * span
}

/// Where an AVX-512 build computes a row-spanning convolution two channels at a time over up to seven
/// vectors (`convolveDirectSpanningRowsInPairs`, 14 accumulators), which the other compilation runs
/// with `convolveDirectSpanningRows`: where that leaves at least a tenth fewer multiply-adds (and
/// activations) to lanes that repeat others than the wide kernel it would otherwise take, whose
/// channel blocks keep two to four vectors, row by row (`convolveDirectWide`) or across rows
/// (`convolveDirectSpanningRowsWide`). lenet5's c3 (16 channels in blocks of four, 100 pixels in seven
/// vectors, which spans of four compute as eight) took 0.88× the time of the latter, and its c1 (6
/// channels, rows of 28 in two vectors each, 57 vectors for 49 of output) 0.92× the former's
/// (`--profile`, three interleaved rounds, Zen 4, 2026-12-05). Not for an odd number of channels,
/// where a pair computes one: seed's conv2 (3 channels, 13 vectors, 27 terms) took 1.03×.
package func spanningRowsTakePairs(_ g: ConvolutionGeometry, _ activation: ActivationFunction) -> Bool {
    guard g.outPlane >= 16 && activation.hasSixteenLaneForm && g.outChannelsPerGroup % 2 == 0 else { return false }
    let block = directChannelBlock(g)
    let blockSpan = block == 4 ? 4 : block == 6 ? 3 : 2
    let vectors = (g.outPlane + 15) / 16
    let otherwise = directTakesWideVectors(g, activation)
        ? wideSpanWork(vectors: (g.outWidth + 15) / 16 * g.outHeight, span: blockSpan)
        : wideSpanWork(vectors: vectors, span: min(blockSpan, vectors))
    return 10 * wideSpanWork(vectors: vectors, span: min(pairSpan, vectors)) <= 9 * otherwise
}

/// The most vectors `convolveDirectSpanningRowsInPairs` computes at once: 14 sums, 2 broadcast
/// weights and 7 loaded vectors in the 32 registers.
let pairSpan = 7

#if CNNC_AVX512
/// `convolveDirect` with vectors of sixteen pixels (one zmm register each), several per channel block:
/// four for blocks of four channels, three for six, two for eight — 16 to 18 accumulators of the 32
/// registers, each weight broadcast serving 32 to 64 outputs. The vectors are consecutive ones of the
/// plane's vectors numbered row by row, each loading its taps from its own place; a row's last vector
/// overlaps the one before it, and the plane's last unit overlaps the unit before it (the lanes they
/// share get the same values again).
///
/// Same packed weights (the channel block does not depend on the vector width, so both compilations
/// of a default build share them) and the same order of sums, lane by lane, as the eight-lane kernel:
/// the outputs are equal bit for bit.
@inline(__always)
package func convolveDirectWide(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                                activation: some ActivationKernel, share: WorkShare = .whole) {
    let perGroupIn = g.inChannelsPerGroup
    let perGroupOut = g.outChannelsPerGroup
    let block = directChannelBlock(g)
    let blocks = roundUp(perGroupOut, to: block) / block
    let outPlane = g.outPlane
    let perRow = (g.outWidth + 15) / 16
    let vectors = perRow * g.outHeight
    let span = min(block == 4 ? 4 : block == 6 ? 3 : 2, vectors)
    let spans = (vectors + span - 1) / span
    // One unit of work is `span` vectors of one channel block; parts take consecutive units.
    for unit in share.range(g.groups * blocks * spans) {
        let index = unit % spans
        let blockIndex = unit / spans % blocks
        let group = unit / (spans * blocks)
        let groupInput = input + group * perGroupIn * g.inPlane
        let weights = packedWeights + (group * blocks + blockIndex) * g.reduction * block
        let firstChannel = group * perGroupOut + blockIndex * block
        let channels = min(block, perGroupOut - blockIndex * block)
        let first = min(index * span, vectors - span)
        let places = WideVectorPlaces(first: first, perRow: perRow, span: span, geometry: g)
        var sums = WideChannelBlockSums()
        var tap = weights
        let origin0 = groupInput + places.inputOffset(0), origin1 = groupInput + places.inputOffset(1)
        let origin2 = groupInput + places.inputOffset(2), origin3 = groupInput + places.inputOffset(3)
        for groupChannel in 0..<perGroupIn {
            for ky in 0..<g.kernelHeight {
                let rowOffset = groupChannel * g.inPlane + ky * g.dilationHeight * g.inWidth
                for kx in 0..<g.kernelWidth {
                    let offset = rowOffset + g.storedColumn(outputColumn: 0, tapColumn: kx * g.dilationWidth)
                    let p0 = (origin0 + offset).loadWideVector()
                    let p1 = span > 1 ? (origin1 + offset).loadWideVector() : SIMD16<Float>()
                    let p2 = span > 2 ? (origin2 + offset).loadWideVector() : SIMD16<Float>()
                    let p3 = span > 3 ? (origin3 + offset).loadWideVector() : SIMD16<Float>()
                    sums.add(tap, p0, p1, p2, p3, block: block, vectors: span)
                    tap += block
                }
            }
        }
        // Straight-line stores through a transparent helper: the SIL inliner takes a callee of at most 64
        // blocks into any caller, and a function storing a whole channel (or a closure) is more, and
        // stayed a call ("What Swift inlines", docs/codegen.md).
        let at = (places.outputOffset(0), places.outputOffset(1), places.outputOffset(2), places.outputOffset(3))
        sums.store(into: output, firstChannel: firstChannel, channels: channels, plane: outPlane, at: at, vectors: span, bias: bias,
                   residual: residual, activation: activation)
    }
}

/// `convolveDirectSpanningRows` with vectors of sixteen pixels: the output plane as one long row,
/// `span` consecutive vectors of one channel block at a time (four for blocks of four channels, three
/// for six, two for eight, as `convolveDirectWide` takes them), read from the same shifted copy of
/// the input. The plane's last vector overlaps the one before it, and the last unit the unit before
/// it. Same packed weights and the same order of sums as the eight-lane kernel: equal outputs.
@inline(__always)
package func convolveDirectSpanningRowsWide(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                            residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>,
                                            geometry g: ConvolutionGeometry, activation: some ActivationKernel,
                                            scratch: UnsafeMutablePointer<Float>, share: WorkShare = .whole) {
    let perGroupIn = g.inChannelsPerGroup
    let perGroupOut = g.outChannelsPerGroup
    let block = directChannelBlock(g)
    let blocks = roundUp(perGroupOut, to: block) / block
    let pixels = g.outPlane
    let shiftedPlane = g.inHeight * g.outWidth
    let shifted = shiftRows(input, geometry: g, into: scratch)
    let vectors = (pixels + 15) / 16
    let span = min(block == 4 ? 4 : block == 6 ? 3 : 2, vectors)
    let spans = (vectors + span - 1) / span
    for unit in share.range(g.groups * blocks * spans) {
        let index = unit % spans
        let blockIndex = unit / spans % blocks
        let group = unit / (spans * blocks)
        let weights = packedWeights + (group * blocks + blockIndex) * g.reduction * block
        let firstChannel = group * perGroupOut + blockIndex * block
        let channels = min(block, perGroupOut - blockIndex * block)
        let first = min(index * span, vectors - span)
        // Vector v's first pixel; the plane's last vector ends at its last pixel.
        @inline(__always) func pixel(_ v: Int) -> Int { min(16 * (first + min(v, span - 1)), pixels - 16) }
        let at = (pixel(0), pixel(1), pixel(2), pixel(3))
        let origin = shifted + group * perGroupIn * g.kernelWidth * shiftedPlane
        var sums = WideChannelBlockSums()
        var tap = weights
        for groupChannel in 0..<perGroupIn {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let source = origin + (groupChannel * g.kernelWidth + kx) * shiftedPlane + ky * g.dilationHeight * g.outWidth
                    let p0 = (source + at.0).loadWideVector()
                    let p1 = span > 1 ? (source + at.1).loadWideVector() : SIMD16<Float>()
                    let p2 = span > 2 ? (source + at.2).loadWideVector() : SIMD16<Float>()
                    let p3 = span > 3 ? (source + at.3).loadWideVector() : SIMD16<Float>()
                    sums.add(tap, p0, p1, p2, p3, block: block, vectors: span)
                    tap += block
                }
            }
        }
        sums.store(into: output, firstChannel: firstChannel, channels: channels, plane: pixels, at: at, vectors: span, bias: bias,
                   residual: residual, activation: activation)
    }
}

/// `convolveDirectSpanningRowsWide` two channels at a time over up to seven consecutive vectors, where
/// `spanningRowsTakePairs`: from the same shifted copy of the input and the same packed weights (a pair
/// reads its two floats of each tap's block), with the same order of sums, lane by lane: equal outputs.
@inline(__always)
package func convolveDirectSpanningRowsInPairs(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                               residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>,
                                               geometry g: ConvolutionGeometry, activation: some ActivationKernel,
                                               scratch: UnsafeMutablePointer<Float>, share: WorkShare = .whole) {
    let shifted = shiftRows(input, geometry: g, into: scratch)
    let perGroupIn = g.inChannelsPerGroup
    let perGroupOut = g.outChannelsPerGroup
    let block = directChannelBlock(g)
    let blocks = roundUp(perGroupOut, to: block) / block
    let pairs = block / 2
    let pixels = g.outPlane
    let shiftedPlane = g.inHeight * g.outWidth
    let vectors = (pixels + 15) / 16
    let span = min(pairSpan, vectors)
    let spans = (vectors + span - 1) / span
    for unit in share.range(g.groups * blocks * pairs * spans) {
        let index = unit % spans
        let pair = unit / spans % pairs
        let blockIndex = unit / (spans * pairs) % blocks
        let group = unit / (spans * pairs * blocks)
        let firstChannel = blockIndex * block + 2 * pair
        guard firstChannel < perGroupOut else { continue }
        let channels = min(2, perGroupOut - firstChannel)
        let first = min(index * span, vectors - span)
        @inline(__always) func pixel(_ v: Int) -> Int { min(16 * (first + min(v, span - 1)), pixels - 16) }
        let at = (pixel(0), pixel(1), pixel(2), pixel(3), pixel(4), pixel(5), pixel(6))
        let origin = shifted + group * perGroupIn * g.kernelWidth * shiftedPlane
        var sums = WidePairSums()
        var tap = packedWeights + (group * blocks + blockIndex) * g.reduction * block + 2 * pair
        for groupChannel in 0..<perGroupIn {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let source = origin + (groupChannel * g.kernelWidth + kx) * shiftedPlane + ky * g.dilationHeight * g.outWidth
                    sums.add(tap, source, at: at, vectors: span)
                    tap += block
                }
            }
        }
        sums.store(into: output, firstChannel: group * perGroupOut + firstChannel, channels: channels, plane: pixels, at: at,
                   vectors: span, bias: bias, residual: residual, activation: activation)
    }
}

/// The sums of `convolveDirectSpanningRowsInPairs`: two channels (`a`, `b`) × up to seven vectors of sixteen pixels.
/// Transparent, so that after inlining the sums are registers and the unused ones vanish.
struct WidePairSums {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    var a4 = SIMD16<Float>(), a5 = SIMD16<Float>(), a6 = SIMD16<Float>()
    var b0 = SIMD16<Float>(), b1 = SIMD16<Float>(), b2 = SIMD16<Float>(), b3 = SIMD16<Float>()
    var b4 = SIMD16<Float>(), b5 = SIMD16<Float>(), b6 = SIMD16<Float>()

    /// Adds one tap: `weights[0]` and `weights[1]` times the first `vectors` vectors at `source + at.v`.
    @_transparent
    mutating func add(_ weights: UnsafePointer<Float>, _ source: UnsafePointer<Float>, at: (Int, Int, Int, Int, Int, Int, Int),
                      vectors: Int) {
        let w0 = SIMD16<Float>(repeating: weights[0]), w1 = SIMD16<Float>(repeating: weights[1])
        var p = (source + at.0).loadWideVector()
        a0.accumulate(w0, p); b0.accumulate(w1, p)
        if vectors > 1 { p = (source + at.1).loadWideVector(); a1.accumulate(w0, p); b1.accumulate(w1, p) }
        if vectors > 2 { p = (source + at.2).loadWideVector(); a2.accumulate(w0, p); b2.accumulate(w1, p) }
        if vectors > 3 { p = (source + at.3).loadWideVector(); a3.accumulate(w0, p); b3.accumulate(w1, p) }
        if vectors > 4 { p = (source + at.4).loadWideVector(); a4.accumulate(w0, p); b4.accumulate(w1, p) }
        if vectors > 5 { p = (source + at.5).loadWideVector(); a5.accumulate(w0, p); b5.accumulate(w1, p) }
        if vectors > 6 { p = (source + at.6).loadWideVector(); a6.accumulate(w0, p); b6.accumulate(w1, p) }
    }

    /// Stores the first `vectors` sums of the first `channels` (one or two) channels at offsets `at` of
    /// their planes, through `storeDirectWide`.
    @_transparent
    func store(into output: UnsafeMutablePointer<Float>, firstChannel: Int, channels: Int, plane: Int,
               at: (Int, Int, Int, Int, Int, Int, Int), vectors: Int, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
               activation: some ActivationKernel) {
        @_transparent func channel(_ c: Int, _ s0: SIMD16<Float>, _ s1: SIMD16<Float>, _ s2: SIMD16<Float>, _ s3: SIMD16<Float>,
                                   _ s4: SIMD16<Float>, _ s5: SIMD16<Float>, _ s6: SIMD16<Float>) {
            let base = (firstChannel + c) * plane, shift = bias?[firstChannel + c] ?? 0
            storeDirectWide(output, at: base + at.0, s0, shift: shift, residual: residual, activation: activation)
            if vectors > 1 { storeDirectWide(output, at: base + at.1, s1, shift: shift, residual: residual, activation: activation) }
            if vectors > 2 { storeDirectWide(output, at: base + at.2, s2, shift: shift, residual: residual, activation: activation) }
            if vectors > 3 { storeDirectWide(output, at: base + at.3, s3, shift: shift, residual: residual, activation: activation) }
            if vectors > 4 { storeDirectWide(output, at: base + at.4, s4, shift: shift, residual: residual, activation: activation) }
            if vectors > 5 { storeDirectWide(output, at: base + at.5, s5, shift: shift, residual: residual, activation: activation) }
            if vectors > 6 { storeDirectWide(output, at: base + at.6, s6, shift: shift, residual: residual, activation: activation) }
        }
        channel(0, a0, a1, a2, a3, a4, a5, a6)
        if channels > 1 { channel(1, b0, b1, b2, b3, b4, b5, b6) }
    }
}

/// Where the vectors of one unit of `convolveDirectWide` lie: vector `v` is the plane's vector
/// `first + v`, numbered row by row, the last of a row moved left to end at the row's end.
struct WideVectorPlaces {
    var first: Int, perRow: Int, span: Int
    var geometry: ConvolutionGeometry

    @inline(__always) func row(_ v: Int) -> Int { (first + min(v, span - 1)) / perRow }
    @inline(__always) func column(_ v: Int) -> Int { min((first + min(v, span - 1)) % perRow * 16, geometry.outWidth - 16) }
    /// The offset of the vector's window (its first tap) in its group's input.
    @inline(__always) func inputOffset(_ v: Int) -> Int {
        row(v) * geometry.strideHeight * geometry.inWidth + geometry.storedColumn(outputColumn: column(v), tapColumn: 0)
    }
    @inline(__always) func outputOffset(_ v: Int) -> Int { row(v) * geometry.outWidth + column(v) }
}

/// The sums of one channel block of `convolveDirectWide`: for each channel, as many vectors of sixteen
/// pixels as the block leaves registers for (`a` the first vector of channels 0–7, `b` the second of
/// 0–7, `c` the third of 0–5, `d` the fourth of 0–3). Transparent, so that after inlining the sums are
/// registers and the unused ones vanish.
struct WideChannelBlockSums {
    var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
    var a4 = SIMD16<Float>(), a5 = SIMD16<Float>(), a6 = SIMD16<Float>(), a7 = SIMD16<Float>()
    var b0 = SIMD16<Float>(), b1 = SIMD16<Float>(), b2 = SIMD16<Float>(), b3 = SIMD16<Float>()
    var b4 = SIMD16<Float>(), b5 = SIMD16<Float>(), b6 = SIMD16<Float>(), b7 = SIMD16<Float>()
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
    var d0 = SIMD16<Float>(), d1 = SIMD16<Float>(), d2 = SIMD16<Float>(), d3 = SIMD16<Float>()

    /// Adds one tap: `weights[c]` times each of the first `vectors` pixel vectors, for the block's channels.
    @_transparent
    mutating func add(_ weights: UnsafePointer<Float>, _ p0: SIMD16<Float>, _ p1: SIMD16<Float>, _ p2: SIMD16<Float>,
                      _ p3: SIMD16<Float>, block: Int, vectors: Int) {
        let w0 = SIMD16<Float>(repeating: weights[0]), w1 = SIMD16<Float>(repeating: weights[1])
        let w2 = SIMD16<Float>(repeating: weights[2]), w3 = SIMD16<Float>(repeating: weights[3])
        a0.accumulate(w0, p0); a1.accumulate(w1, p0); a2.accumulate(w2, p0); a3.accumulate(w3, p0)
        if vectors > 1 { b0.accumulate(w0, p1); b1.accumulate(w1, p1); b2.accumulate(w2, p1); b3.accumulate(w3, p1) }
        if vectors > 2 { c0.accumulate(w0, p2); c1.accumulate(w1, p2); c2.accumulate(w2, p2); c3.accumulate(w3, p2) }
        if vectors > 3 { d0.accumulate(w0, p3); d1.accumulate(w1, p3); d2.accumulate(w2, p3); d3.accumulate(w3, p3) }
        if block >= 6 {
            let w4 = SIMD16<Float>(repeating: weights[4]), w5 = SIMD16<Float>(repeating: weights[5])
            a4.accumulate(w4, p0); a5.accumulate(w5, p0)
            if vectors > 1 { b4.accumulate(w4, p1); b5.accumulate(w5, p1) }
            if vectors > 2 { c4.accumulate(w4, p2); c5.accumulate(w5, p2) }
        }
        if block == 8 {
            let w6 = SIMD16<Float>(repeating: weights[6]), w7 = SIMD16<Float>(repeating: weights[7])
            a6.accumulate(w6, p0); a7.accumulate(w7, p0)
            if vectors > 1 { b6.accumulate(w6, p1); b7.accumulate(w7, p1) }
        }
    }
}

extension WideChannelBlockSums {
    /// Stores the first `vectors` sums of the block's first `channels` channels at offsets `at` of
    /// their planes (channel `firstChannel + c`'s at `(firstChannel + c) · plane`), through
    /// `storeDirectWide`. Transparent, so that it is inlined however large it is.
    @_transparent
    func store(into output: UnsafeMutablePointer<Float>, firstChannel: Int, channels: Int, plane: Int, at: (Int, Int, Int, Int), vectors: Int,
               bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, activation: some ActivationKernel) {
        @_transparent func channel(_ c: Int, _ s0: SIMD16<Float>, _ s1: SIMD16<Float>, _ s2: SIMD16<Float>, _ s3: SIMD16<Float>, most: Int) {
            let base = (firstChannel + c) * plane, shift = bias?[firstChannel + c] ?? 0
            storeDirectWide(output, at: base + at.0, s0, shift: shift, residual: residual, activation: activation)
            if vectors > 1 && most > 1 { storeDirectWide(output, at: base + at.1, s1, shift: shift, residual: residual, activation: activation) }
            if vectors > 2 && most > 2 { storeDirectWide(output, at: base + at.2, s2, shift: shift, residual: residual, activation: activation) }
            if vectors > 3 && most > 3 { storeDirectWide(output, at: base + at.3, s3, shift: shift, residual: residual, activation: activation) }
        }
        channel(0, a0, b0, c0, d0, most: 4)
        if channels > 1 { channel(1, a1, b1, c1, d1, most: 4) }
        if channels > 2 { channel(2, a2, b2, c2, d2, most: 4) }
        if channels > 3 { channel(3, a3, b3, c3, d3, most: 4) }
        if channels > 4 { channel(4, a4, b4, c4, SIMD16(), most: 3) }
        if channels > 5 { channel(5, a5, b5, c5, SIMD16(), most: 3) }
        if channels > 6 { channel(6, a6, b6, SIMD16(), SIMD16(), most: 2) }
        if channels > 7 { channel(7, a7, b7, SIMD16(), SIMD16(), most: 2) }
    }
}

/// `storeDirect` for sixteen lanes at `output + offset`: the bias, the residual (at the same offset),
/// then the activation, as the eight-lane store adds them.
@inline(__always)
func storeDirectWide(_ output: UnsafeMutablePointer<Float>, at offset: Int, _ sum: SIMD16<Float>, shift: Float,
                     residual: UnsafePointer<Float>?, activation: some ActivationKernel) {
    var value = sum + SIMD16(repeating: shift)
    if let residual { value += (residual + offset).loadWideVector() }
    UnsafeMutableRawPointer(output + offset).storeBytes(of: activation.applyWide(value), as: SIMD16<Float>.self)
}

// The activations in sixteen lanes. Applied to two halves of eight, their
// results took the sums with them: LLVM's SLP vectorizer then split every multiply-add of the
// kernel into two of eight lanes (imagenet_stem's and resnet_cifar's direct steps at 0.2–0.4× the speed).
extension ActivationKernel {
    /// By halves, for GELU, which keeps the eight-lane kernel (`directTakesWideVectors`).
    @inline(__always)
    package func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let halves = unsafeBitCast(x, to: (SIMD8<Float>, SIMD8<Float>).self)
        return unsafeBitCast((apply(halves.0), apply(halves.1)), to: SIMD16<Float>.self)
    }
}

extension Activations.Identity {
    @inline(__always) package func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float> { x }
}

extension Activations.ReLU {
    @inline(__always) package func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float> { x.replacing(with: 0, where: x .< 0) }
}

extension Activations.ReLU6 {
    /// As `clamp`: each comparison on the value it selects from.
    @inline(__always) package func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let low = SIMD16<Float>(repeating: 0), high = SIMD16<Float>(repeating: 6)
        let raised = x.replacing(with: low, where: x .< low)
        return raised.replacing(with: high, where: high .< raised)
    }
}

extension Activations.LeakyReLU {
    @inline(__always) package func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float> { x.replacing(with: x * alpha, where: x .< 0) }
}

// The activations built on `exponential`, in its sixteen-lane form: the same operations as `apply`.
extension Activations.ELU {
    @inline(__always) package func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float> {
        x.replacing(with: alpha * (exponential(x) - 1), where: x .<= 0)
    }
}

extension Activations.Sigmoid {
    @inline(__always) package func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float> { 1 / (1 + exponential(-x)) }
}

extension Activations.SiLU {
    @inline(__always) package func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float> { x / (1 + exponential(-x)) }
}

extension Activations.Tanh {
    @inline(__always) package func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float> { hyperbolicTangent(x) }
}

extension UnsafePointer where Pointee == Float {
    @inline(__always)
    func loadWideVector() -> SIMD16<Float> {
        UnsafeRawPointer(self).loadUnaligned(as: SIMD16<Float>.self)
    }
}
#endif
