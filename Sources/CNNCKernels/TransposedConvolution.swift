/// The fixed shape of one transposed convolution (`conv_transpose`).
package struct TransposedGeometry: Hashable, Sendable {
    package var inChannels: Int, outChannels: Int, groups: Int
    package var inHeight: Int, inWidth: Int
    package var outHeight: Int, outWidth: Int
    package var kernelHeight: Int, kernelWidth: Int
    package var strideHeight: Int, strideWidth: Int
    package var dilationHeight: Int, dilationWidth: Int
    /// Rows and columns cropped from the top and left of the full output.
    package var padTop: Int, padLeft: Int

    package init(inChannels: Int, outChannels: Int, groups: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
                 kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int,
                 padTop: Int, padLeft: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.outHeight = outHeight
        self.outWidth = outWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
        self.padTop = padTop
        self.padLeft = padLeft
    }

    package var inChannelsPerGroup: Int { inChannels / groups }
    package var outChannelsPerGroup: Int { outChannels / groups }
}

/// Output channels computed together by `convolveTransposed`, one per vector lane.
package let transposedChannelBlock = 8

/// Floats of the weights packed by `packForTransposed`.
package func transposedPackedCount(_ g: TransposedGeometry) -> Int {
    g.groups * roundUp(g.outChannelsPerGroup, to: transposedChannelBlock) * g.inChannelsPerGroup * g.kernelHeight * g.kernelWidth
}

/// Reorders PyTorch's `[in, out/groups, kh, kw]` into `[group][channel block][in/groups][kh][kw][8]`, so
/// the kernel loads the eight output channels of one tap as one vector; zero-filled past the last channel.
package func packForTransposed(_ weights: [Float], geometry g: TransposedGeometry) -> [Float] {
    let perGroupIn = g.inChannelsPerGroup, perGroupOut = g.outChannelsPerGroup
    let taps = g.kernelHeight * g.kernelWidth
    let blocks = roundUp(perGroupOut, to: transposedChannelBlock) / transposedChannelBlock
    var packed = [Float](repeating: 0, count: transposedPackedCount(g))
    for group in 0..<g.groups {
        for block in 0..<blocks {
            for channel in 0..<perGroupIn {
                for tap in 0..<taps {
                    for lane in 0..<transposedChannelBlock {
                        let out = block * transposedChannelBlock + lane
                        guard out < perGroupOut else { continue }
                        let source = ((group * perGroupIn + channel) * perGroupOut + out) * taps + tap
                        packed[(((group * blocks + block) * perGroupIn + channel) * taps + tap) * transposedChannelBlock + lane] = weights[source]
                    }
                }
            }
        }
    }
    return packed
}

/// A transposed convolution written as a gather: each output pixel sums, for eight output channels at
/// once, every input pixel that a kernel tap carries to it — input channel, then kernel row, then
/// kernel column, ascending (the reference order) — then adds the bias and applies the activation.
@inline(__always)
package func convolveTransposed(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                output: UnsafeMutablePointer<Float>, geometry g: TransposedGeometry, activation: some ActivationKernel) {
    let perGroupIn = g.inChannelsPerGroup, perGroupOut = g.outChannelsPerGroup
    let taps = g.kernelHeight * g.kernelWidth
    let blocks = roundUp(perGroupOut, to: transposedChannelBlock) / transposedChannelBlock
    let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
    for group in 0..<g.groups {
        for block in 0..<blocks {
            let weights = packedWeights + (group * blocks + block) * perGroupIn * taps * transposedChannelBlock
            let firstChannel = group * perGroupOut + block * transposedChannelBlock
            let channels = min(transposedChannelBlock, perGroupOut - block * transposedChannelBlock)
            var shift = SIMD8<Float>()
            if let bias { for lane in 0..<channels { shift[lane] = bias[firstChannel + lane] } }
            /// The reference-order sum of pixel (y, x), finding the taps that reach it per input channel.
            func sum(_ y: Int, _ x: Int) -> SIMD8<Float> {
                var sum = SIMD8<Float>()
                for channel in 0..<perGroupIn {
                    let plane = input + (group * perGroupIn + channel) * inPlane
                    let channelWeights = weights + channel * taps * transposedChannelBlock
                    for ky in 0..<g.kernelHeight {
                        guard let row = transposedRow(g, y: y, ky: ky) else { continue }
                        for kx in 0..<g.kernelWidth {
                            guard let column = transposedColumn(g, x: x, kx: kx) else { continue }
                            sum.accumulate(SIMD8(repeating: plane[row * g.inWidth + column]),
                                           channelWeights.loadVector(at: (ky * g.kernelWidth + kx) * transposedChannelBlock))
                        }
                    }
                }
                return sum
            }
            func store(_ sum: SIMD8<Float>, _ y: Int, _ x: Int) {
                let result = activation.apply(sum + shift)
                let destination = output + firstChannel * outPlane + y * g.outWidth + x
                for lane in 0..<channels { destination[lane * outPlane] = result[lane] }
            }
            for y in 0..<g.outHeight {
                var x = 0
                while x < g.outWidth {
                    if taps <= 16 && x + 4 <= g.outWidth {
                        let sums = transposedSums(input + group * perGroupIn * inPlane, weights, geometry: g, y: y, x: x)
                        store(sums.0, y, x)
                        store(sums.1, y, x + 1)
                        store(sums.2, y, x + 2)
                        store(sums.3, y, x + 3)
                        x += 4
                    } else {
                        store(sum(y, x), y, x)
                        x += 1
                    }
                }
            }
        }
    }
}

/// The sums of pixels (y, x) … (y, x + 3) for eight output channels, each in `convolveTransposed`'s
/// order, for kernels of at most 16 taps: the taps reaching each pixel are listed once, not once per
/// input channel, and the four pixels' sums advance together when as many taps reach each (four
/// independent chains instead of one waiting on each multiply-add's latency).
@inline(__always)
func transposedSums(_ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, geometry g: TransposedGeometry,
                    y: Int, x: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    // Per pixel p: the reaching taps' input offsets at [32p ..< 32p + 16], their weight offsets 16 later.
    var tables = (SIMD16<Int32>(), SIMD16<Int32>(), SIMD16<Int32>(), SIMD16<Int32>(),
                  SIMD16<Int32>(), SIMD16<Int32>(), SIMD16<Int32>(), SIMD16<Int32>())
    var counts = (0, 0, 0, 0)
    withUnsafeMutableBytes(of: &tables) { raw in
        let table = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
        func list(_ pixel: Int) -> Int {
            var reaching = 0
            for ky in 0..<g.kernelHeight {
                guard let row = transposedRow(g, y: y, ky: ky) else { continue }
                for kx in 0..<g.kernelWidth {
                    guard let column = transposedColumn(g, x: x + pixel, kx: kx) else { continue }
                    table[32 * pixel + reaching] = Int32(row * g.inWidth + column)
                    table[32 * pixel + 16 + reaching] = Int32((ky * g.kernelWidth + kx) * transposedChannelBlock)
                    reaching += 1
                }
            }
            return reaching
        }
        counts = (list(0), list(1), list(2), list(3))
    }
    let inPlane = g.inHeight * g.inWidth, channelStride = g.kernelHeight * g.kernelWidth * transposedChannelBlock
    var sums = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
    withUnsafeBytes(of: &tables) { raw in
        let table = raw.baseAddress!.assumingMemoryBound(to: Int32.self)
        func term(_ plane: UnsafePointer<Float>, _ channelWeights: UnsafePointer<Float>, _ pixel: Int, _ tap: Int) -> (SIMD8<Float>, SIMD8<Float>) {
            (SIMD8(repeating: plane[Int(table[32 * pixel + tap])]), channelWeights.loadVector(at: Int(table[32 * pixel + 16 + tap])))
        }
        if counts.0 == counts.1 && counts.0 == counts.2 && counts.0 == counts.3 {
            var plane = input, channelWeights = weights
            for _ in 0..<g.inChannelsPerGroup {
                for tap in 0..<counts.0 {
                    let (a0, w0) = term(plane, channelWeights, 0, tap), (a1, w1) = term(plane, channelWeights, 1, tap)
                    let (a2, w2) = term(plane, channelWeights, 2, tap), (a3, w3) = term(plane, channelWeights, 3, tap)
                    sums.0.accumulate(a0, w0)
                    sums.1.accumulate(a1, w1)
                    sums.2.accumulate(a2, w2)
                    sums.3.accumulate(a3, w3)
                }
                plane += inPlane
                channelWeights += channelStride
            }
        } else {
            func single(_ pixel: Int, _ count: Int) -> SIMD8<Float> {
                var sum = SIMD8<Float>()
                var plane = input, channelWeights = weights
                for _ in 0..<g.inChannelsPerGroup {
                    for tap in 0..<count {
                        let (a, w) = term(plane, channelWeights, pixel, tap)
                        sum.accumulate(a, w)
                    }
                    plane += inPlane
                    channelWeights += channelStride
                }
                return sum
            }
            sums = (single(0, counts.0), single(1, counts.1), single(2, counts.2), single(3, counts.3))
        }
    }
    return sums
}

/// The input row kernel row `ky` carries to output row `y`, or nil when it carries none there.
@inline(__always)
func transposedRow(_ g: TransposedGeometry, y: Int, ky: Int) -> Int? {
    let offset = y + g.padTop - ky * g.dilationHeight
    guard offset >= 0, offset % g.strideHeight == 0, offset / g.strideHeight < g.inHeight else { return nil }
    return offset / g.strideHeight
}

/// The input column kernel column `kx` carries to output column `x`, or nil when it carries none there.
@inline(__always)
func transposedColumn(_ g: TransposedGeometry, x: Int, kx: Int) -> Int? {
    let offset = x + g.padLeft - kx * g.dilationWidth
    guard offset >= 0, offset % g.strideWidth == 0, offset / g.strideWidth < g.inWidth else { return nil }
    return offset / g.strideWidth
}
