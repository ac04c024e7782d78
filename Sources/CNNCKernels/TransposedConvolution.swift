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

/// Whether every output pixel receives exactly one tap of each input channel: the stride is the
/// kernel, with no dilation, cropping or extra output (a U-Net's 2×2 stride-2 upsampling), on planes
/// of at least 16 pixels. Such a layer is one pointwise convolution per output phase (`ky`, `kx`),
/// which `convolveTransposed` computes with the GEMM's register block.
package func transposedByPhases(_ g: TransposedGeometry) -> Bool {
    g.strideHeight == g.kernelHeight && g.strideWidth == g.kernelWidth && g.dilationHeight == 1 && g.dilationWidth == 1
        && g.padTop == 0 && g.padLeft == 0 && g.outHeight == g.inHeight * g.strideHeight && g.outWidth == g.inWidth * g.strideWidth
        && g.inHeight * g.inWidth >= gemmColumnBlock
}

/// How `convolveTransposedByPhases` fills its register blocks, for the packing, its size and the kernel.
struct TransposedPhases {
    /// Kernel columns (output phases of a row) in one block: all of them where the block's six rows
    /// hold them for whole channels, so that a row's phases interleave into consecutive outputs; one
    /// otherwise.
    let width: Int
    /// Output channels in one block (`6 / width`), and such panels per group.
    let channels: Int, panels: Int
    /// Blocks across a kernel row (`kw / width`).
    let columnGroups: Int

    @inline(__always)
    init(_ g: TransposedGeometry) {
        width = g.kernelWidth <= 3 ? g.kernelWidth : 1
        channels = gemmRowBlock / width
        panels = roundUp(g.outChannelsPerGroup, to: channels) / channels
        columnGroups = g.kernelWidth / width
    }
}

/// Floats of the weights packed by `packForTransposed`.
package func transposedPackedCount(_ g: TransposedGeometry) -> Int {
    if transposedByPhases(g) {
        let phases = TransposedPhases(g)
        return g.groups * phases.panels * g.kernelHeight * phases.columnGroups * g.inChannelsPerGroup * gemmRowBlock
    }
    return g.groups * roundUp(g.outChannelsPerGroup, to: transposedChannelBlock) * g.inChannelsPerGroup * g.kernelHeight * g.kernelWidth
}

/// Reorders PyTorch's `[in, out/groups, kh, kw]` into `[group][channel block][in/groups][kh][kw][8]`, so
/// the kernel loads the eight output channels of one tap as one vector; by phases, into register-block
/// panels `[group][panel][kh][kw / width][in/groups][6]`, whose six rows are `width` phases of
/// `6 / width` output channels (`TransposedPhases`). Zero-filled past the last channel.
package func packForTransposed(_ weights: [Float], geometry g: TransposedGeometry) -> [Float] {
    let perGroupIn = g.inChannelsPerGroup, perGroupOut = g.outChannelsPerGroup
    let taps = g.kernelHeight * g.kernelWidth
    if transposedByPhases(g) {
        let phases = TransposedPhases(g)
        var packed = [Float](repeating: 0, count: transposedPackedCount(g))
        var index = 0
        for group in 0..<g.groups {
            for panel in 0..<phases.panels {
                for ky in 0..<g.kernelHeight {
                    for columnGroup in 0..<phases.columnGroups {
                        for channel in 0..<perGroupIn {
                            for row in 0..<gemmRowBlock {
                                let out = panel * phases.channels + row / phases.width
                                let kx = columnGroup * phases.width + row % phases.width
                                if out < perGroupOut {
                                    packed[index] = weights[((group * perGroupIn + channel) * perGroupOut + out) * taps + ky * g.kernelWidth + kx]
                                }
                                index += 1
                            }
                        }
                    }
                }
            }
        }
        return packed
    }
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
/// Layers where one tap reaches each output (`transposedByPhases`) run as pointwise convolutions instead.
@inline(__always)
package func convolveTransposed(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                output: UnsafeMutablePointer<Float>, geometry g: TransposedGeometry, activation: some ActivationKernel,
                                share: WorkShare = .whole) {
    if transposedByPhases(g) {
        convolveTransposedByPhases(input, packedWeights: packedWeights, bias: bias, output: output, geometry: g, activation: activation,
                                   share: share)
        return
    }
    // The gather does not split (`ExecutionPlan.Kernel.splitsAcrossThreads`): the first part does it all.
    guard share.part == 0 else { return }
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

/// `convolveTransposed` where `transposedByPhases`: output pixel (`y·kh + ky`, `x·kw + kx`) is
/// `bias + Σ_c in[c, y, x] · w[c, ky, kx]`, channels ascending — the reference order, as the only tap
/// reaching it. So each tap is a pointwise convolution, computed with the GEMM's register block straight
/// from the input planes, 16 input pixels at a time (a plane's last block overlaps the one before
/// rather than reading past it); the block's six rows are a row's `kw` phases of `6 / kw` output
/// channels, so that they interleave into consecutive outputs. Parts split the panels of channels.
@inline(__always)
func convolveTransposedByPhases(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                output: UnsafeMutablePointer<Float>, geometry g: TransposedGeometry, activation: some ActivationKernel,
                                share: WorkShare) {
    let perGroupIn = g.inChannelsPerGroup, perGroupOut = g.outChannelsPerGroup
    let phases = TransposedPhases(g)
    let (width, channels, panels, columnGroups) = (phases.width, phases.channels, phases.panels, phases.columnGroups)
    let inPlane = g.inHeight * g.inWidth
    let panelStride = g.kernelHeight * columnGroups * perGroupIn * gemmRowBlock
    for group in 0..<g.groups {
        let groupInput = input + group * perGroupIn * inPlane
        var start = 0
        while start < inPlane {
            let first = min(start, inPlane - gemmColumnBlock)
            for ky in 0..<g.kernelHeight {
                for columnGroup in 0..<columnGroups {
                    for panel in share.range(panels) {
                        let firstChannel = panel * channels
                        multiplyPhaseBlock(packedWeights + (group * panels + panel) * panelStride + (ky * columnGroups + columnGroup) * perGroupIn * gemmRowBlock,
                                           groupInput + first, reduction: perGroupIn, firstPixel: first, ky: ky, kx: columnGroup * width,
                                           output: output + (group * perGroupOut + firstChannel) * g.outHeight * g.outWidth,
                                           channels: min(channels, perGroupOut - firstChannel), geometry: g,
                                           bias: bias.map { $0 + group * perGroupOut + firstChannel }, activation: activation)
                    }
                }
            }
            start = first + gemmColumnBlock
        }
    }
}

/// One register block of `convolveTransposedByPhases`: input pixels `firstPixel ..< firstPixel + 16`
/// of tap row `ky` and the `TransposedPhases.width` kernel columns from `kx`, for `channels` output
/// channels from `output`'s first. Eight pixels in one input row, with every phase of the row, store
/// as one run of consecutive outputs; others one float at a time.
func multiplyPhaseBlock(_ weights: UnsafePointer<Float>, _ columns: UnsafePointer<Float>, reduction: Int, firstPixel: Int, ky: Int, kx: Int,
                        output: UnsafeMutablePointer<Float>, channels: Int, geometry g: TransposedGeometry,
                        bias: UnsafePointer<Float>?, activation: some ActivationKernel) {
    var sums = RegisterBlockSums()
    sums.accumulate(weights, columns, stride: g.inHeight * g.inWidth, reduction: reduction)
    let width = TransposedPhases(g).width, outPlane = g.outHeight * g.outWidth
    sums.withRows { rows in
        for half in 0..<2 {
            let pixel = firstPixel + 8 * half
            let y = pixel / g.inWidth, x = pixel % g.inWidth
            let corner = (y * g.strideHeight + ky) * g.outWidth + x * g.strideWidth + kx
            let inOneRow = x + 8 <= g.inWidth && width == g.kernelWidth
            for channel in 0..<channels {
                let shift = SIMD8(repeating: bias?[channel] ?? 0)
                let destination = output + channel * outPlane + corner
                @inline(__always) func phase(_ phase: Int) -> SIMD8<Float> { activation.apply(rows[2 * (channel * width + phase) + half] + shift) }
                if width == 1 && inOneRow {
                    destination.storeVector(phase(0), at: 0)
                } else if width == 2 && inOneRow {
                    let first = phase(0), second = phase(1)
                    var pairs = SIMD16<Float>()
                    for lane in 0..<8 {
                        pairs[2 * lane] = first[lane]
                        pairs[2 * lane + 1] = second[lane]
                    }
                    UnsafeMutableRawPointer(destination).storeBytes(of: pairs, as: SIMD16<Float>.self)
                } else {
                    // Pixel by pixel: the row may end among them.
                    for p in 0..<width {
                        let values = phase(p)
                        var row = y, column = x
                        for lane in 0..<8 {
                            output[channel * outPlane + (row * g.strideHeight + ky) * g.outWidth + column * g.strideWidth + kx + p] = values[lane]
                            column += 1
                            if column == g.inWidth { column = 0; row += 1 }
                        }
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
