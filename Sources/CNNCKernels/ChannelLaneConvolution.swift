// MARK: Direct convolution with output channels in the lanes

/// Output channels `convolveChannelLanes` computes together: two vectors of eight.
package let laneChannelBlock = 16
/// Consecutive output pixels it computes together, each input float broadcast to both vectors of
/// channels: twelve sums, two weight vectors and a broadcast in the sixteen `ymm` registers of x86-64-v3.
package let lanePixelBlock = 6

/// Floats of scratch `convolveChannelLanes` needs: the offset of every term (one `Int` each) and the
/// register block, transposed (two blocks of channels in AVX-512 compilations).
package func channelLanesScratchCount(_ g: ConvolutionGeometry) -> Int {
    2 * g.reduction + 4 * 64
}

/// Floats of the weights packed by `packForChannelLanes`.
package func channelLanesPackedCount(_ g: ConvolutionGeometry) -> Int {
    g.outChannels * g.reduction
}

/// Reorders `[out, in, kh, kw]` weights into blocks of 16 output channels, each `[k][16]`: one term's
/// weights for a block are two consecutive vectors.
package func packForChannelLanes(_ weights: [Float], geometry g: ConvolutionGeometry) -> [Float] {
    packInBlocks(weights, rows: g.outChannels, groups: 1, reduction: g.reduction, block: laneChannelBlock)
}

/// `packForChannelLanes` on the first call of a network (prepared weights), into
/// `channelLanesPackedCount(g)` floats: for AVX-512 compilations that run a layer with
/// `convolveChannelLanes` where the other compilation runs Winograd on the same filters.
package func packForChannelLanes(_ weights: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry) {
    packInBlocks(weights, into: packed, rows: g.outChannels, groups: 1, reduction: g.reduction, block: laneChannelBlock)
}

/// A convolution of one group whose output channels are a multiple of 16, computed directly with the
/// output channels in the vector lanes: for 16 channels × 6 consecutive output pixels, each term loads
/// two vectors of weights and broadcasts each pixel's input float from the padded input, so nothing
/// is gathered (the GEMM's im2col costs most at stride 2, where its rows are read one float in two).
/// Weights come packed by `packForChannelLanes`.
///
/// The sums come out with a pixel's channels in a vector and are transposed so that each channel's six
/// (or, in AVX-512 compilations, seven) pixels are stored together, as eight floats where the plane
/// has room: the extra lanes fall on the next block's pixels, which it stores later (a part takes
/// whole blocks of channels, the pixels of each in order); the plane's last pixels are stored six or
/// seven floats at a time. The plane's last block overlaps the one before it rather than leaving a tail.
///
/// Each output adds its terms in the reference order — input channel, kernel row, kernel column —
/// then the bias, then the residual, then the activation: the same results as `convolveGEMM`.
@inline(__always)
package func convolveChannelLanes(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                  residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>,
                                  geometry g: ConvolutionGeometry, activation: some ActivationKernel,
                                  scratch: UnsafeMutablePointer<Float>, share: WorkShare = .whole) {
    let pixels = g.outPlane
    let reduction = g.reduction
    // Where each term reads, from its window's first float. A table in memory, not constants: with
    // the offsets known, LLVM regroups the unrolled broadcasts into shuffles of loaded vectors and
    // the kernel runs ten times slower (docs/codegen.md).
    let offsets = UnsafeMutableRawPointer(scratch)
    var term = 0
    for channel in 0..<g.inChannels {
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                let offset = channel * g.inPlane + ky * g.dilationHeight * g.inWidth + kx * g.dilationWidth
                offsets.storeBytes(of: offset, toByteOffset: term * MemoryLayout<Int>.stride, as: Int.self)
                term += 1
            }
        }
    }
    let tile = scratch + 2 * reduction
    @inline(__always) func window(_ pixel: Int) -> UnsafePointer<Float> {
        input + pixel / g.outWidth * g.strideHeight * g.inWidth + pixel % g.outWidth * g.strideWidth
    }
    // Blocks of channels outermost: a block's weights (16 × the reduction) stay in the L2 cache for
    // every pixel of the plane, where the whole layer's (imagenet_stem's conv9: 4.7 MB) would not.
    let blocks = share.range(g.outChannels / laneChannelBlock)
    var channelBlock = blocks.lowerBound
    while channelBlock < blocks.upperBound {
        // AVX-512 compilations take two blocks at once where the part has them (`channelLanePairSums`).
        #if CNNC_AVX512
        let paired = channelBlock + 1 < blocks.upperBound
        #else
        let paired = false
        #endif
        let firstChannel = channelBlock * laneChannelBlock
        // Paired blocks take seven pixels at once where blocks of six would leave more than a twentieth
        // of the lanes unused and seven fewer (`channelLanePairSumsOfSeven`).
        let sixesUnused = roundUp(pixels, to: lanePixelBlock) - pixels
        let pixelBlock = paired && sixesUnused * 20 > pixels && roundUp(pixels, to: 7) - pixels < sixesUnused ? 7 : lanePixelBlock
        var start = 0
        while start < pixels {
            let first = min(start, pixels - pixelBlock)
            if paired {
                #if CNNC_AVX512
                if pixelBlock == 7 {
                    channelLanePairSumsOfSeven(packedWeights + firstChannel * reduction, UnsafeRawPointer(offsets), reduction: reduction,
                                               window(first), window(first + 1), window(first + 2), window(first + 3), window(first + 4),
                                               window(first + 5), window(first + 6), bias: bias.map { $0 + firstChannel }, into: tile)
                } else {
                    channelLanePairSums(packedWeights + firstChannel * reduction, UnsafeRawPointer(offsets), reduction: reduction,
                                        window(first), window(first + 1), window(first + 2), window(first + 3), window(first + 4),
                                        window(first + 5), bias: bias.map { $0 + firstChannel }, into: tile)
                }
                #endif
            } else {
                channelLaneSums(packedWeights + firstChannel * reduction, UnsafeRawPointer(offsets), reduction: reduction,
                                window(first), window(first + 1), window(first + 2), window(first + 3), window(first + 4), window(first + 5),
                                bias: bias.map { $0 + firstChannel }, into: tile)
            }
            let whole = first + 8 <= pixels
            for lane in 0..<(paired ? 2 * laneChannelBlock : laneChannelBlock) {
                let at = (firstChannel + lane) * pixels + first
                var sums = tile.loadVector(at: lane * 8)
                if let residual {
                    sums += whole ? (residual + at).loadVector(at: 0) : (residual + at).loadPartial(pixelBlock)
                }
                let value = activation.apply(sums)
                if whole { (output + at).storeVector(value, at: 0) } else { (output + at).storePartial(value, pixelBlock) }
            }
            start += pixelBlock
        }
        channelBlock += paired ? 2 : 1
    }
}

/// The register block of `convolveChannelLanes`: 16 channels × 6 pixels summed over the reduction,
/// plus the bias, written to `tile` as 16 vectors of one channel's pixels (their last two lanes
/// meaningless). Out of line, with the reduction a run-time value, so that its loop is the
/// one LLVM compiles well (above).
@inline(never)
func channelLaneSums(_ weights: UnsafePointer<Float>, _ offsets: UnsafeRawPointer, reduction: Int,
                     _ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>,
                     _ p3: UnsafePointer<Float>, _ p4: UnsafePointer<Float>, _ p5: UnsafePointer<Float>,
                     bias: UnsafePointer<Float>?, into tile: UnsafeMutablePointer<Float>) {
    var w = weights
    #if CNNC_AVX512
    // With AVX-512, a pixel's sixteen channels are one SIMD16 (`RegisterBlockSums.accumulate` says why);
    // each lane's order is unchanged.
    var s0 = SIMD16<Float>(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0
    for term in 0..<reduction {
        let o = offsets.load(fromByteOffset: term * MemoryLayout<Int>.stride, as: Int.self)
        let channels = UnsafeRawPointer(w).loadUnaligned(as: SIMD16<Float>.self)
        s0.accumulate(SIMD16(repeating: p0[o]), channels)
        s1.accumulate(SIMD16(repeating: p1[o]), channels)
        s2.accumulate(SIMD16(repeating: p2[o]), channels)
        s3.accumulate(SIMD16(repeating: p3[o]), channels)
        s4.accumulate(SIMD16(repeating: p4[o]), channels)
        s5.accumulate(SIMD16(repeating: p5[o]), channels)
        w += laneChannelBlock
    }
    let (l0, l1, l2, l3, l4, l5) = (s0.lowHalf, s1.lowHalf, s2.lowHalf, s3.lowHalf, s4.lowHalf, s5.lowHalf)
    let (h0, h1, h2, h3, h4, h5) = (s0.highHalf, s1.highHalf, s2.highHalf, s3.highHalf, s4.highHalf, s5.highHalf)
    #else
    var l0 = SIMD8<Float>(), h0 = SIMD8<Float>(), l1 = SIMD8<Float>(), h1 = SIMD8<Float>()
    var l2 = SIMD8<Float>(), h2 = SIMD8<Float>(), l3 = SIMD8<Float>(), h3 = SIMD8<Float>()
    var l4 = SIMD8<Float>(), h4 = SIMD8<Float>(), l5 = SIMD8<Float>(), h5 = SIMD8<Float>()
    for term in 0..<reduction {
        let o = offsets.load(fromByteOffset: term * MemoryLayout<Int>.stride, as: Int.self)
        let low = w.loadVector(at: 0), high = w.loadVector(at: 8)
        var x = SIMD8<Float>(repeating: p0[o])
        l0.accumulate(x, low); h0.accumulate(x, high)
        x = SIMD8(repeating: p1[o])
        l1.accumulate(x, low); h1.accumulate(x, high)
        x = SIMD8(repeating: p2[o])
        l2.accumulate(x, low); h2.accumulate(x, high)
        x = SIMD8(repeating: p3[o])
        l3.accumulate(x, low); h3.accumulate(x, high)
        x = SIMD8(repeating: p4[o])
        l4.accumulate(x, low); h4.accumulate(x, high)
        x = SIMD8(repeating: p5[o])
        l5.accumulate(x, low); h5.accumulate(x, high)
        w += laneChannelBlock
    }
    #endif
    let shiftLow = bias.map { $0.loadVector(at: 0) } ?? SIMD8(), shiftHigh = bias.map { $0.loadVector(at: 8) } ?? SIMD8()
    storeTransposed(l0 + shiftLow, l1 + shiftLow, l2 + shiftLow, l3 + shiftLow, l4 + shiftLow, l5 + shiftLow, into: tile)
    storeTransposed(h0 + shiftHigh, h1 + shiftHigh, h2 + shiftHigh, h3 + shiftHigh, h4 + shiftHigh, h5 + shiftHigh, into: tile + 64)
}

#if CNNC_AVX512
/// `channelLaneSums` for two consecutive blocks of 16 channels (32 channels × 6 pixels): twelve zmm
/// sums, two weight loads and six broadcasts per term. Sixteen channels alone keep six sums, fewer
/// than two multiply-add pipes of latency 4 keep busy, and a broadcast per multiply-add. Each lane
/// sums its terms in the same order as there: the same outputs. `tile` takes the first block's 16
/// vectors, then the second's.
@inline(never)
func channelLanePairSums(_ weights: UnsafePointer<Float>, _ offsets: UnsafeRawPointer, reduction: Int,
                         _ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>,
                         _ p3: UnsafePointer<Float>, _ p4: UnsafePointer<Float>, _ p5: UnsafePointer<Float>,
                         bias: UnsafePointer<Float>?, into tile: UnsafeMutablePointer<Float>) {
    channelLanePairBlock(weights, offsets, reduction: reduction, p0, p1, p2, p3, p4, p5, p5, seven: false, bias: bias, into: tile)
}

/// `channelLanePairSums` of seven pixels: fourteen sums, for planes that blocks of six fit badly.
/// imagenet_stem's 7×7 conv9 and conv10 (49 pixels, 54 lanes in blocks of six) took 0.89× and 0.91×
/// the time (four interleaved rounds of `--profile`, Zen 5, 2026-12-04); its 14×14 and 28×28 layers,
/// which waste 1 % of the lanes in blocks of six, took 0.99–1.04×, so they keep six.
@inline(never)
func channelLanePairSumsOfSeven(_ weights: UnsafePointer<Float>, _ offsets: UnsafeRawPointer, reduction: Int,
                                _ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>,
                                _ p3: UnsafePointer<Float>, _ p4: UnsafePointer<Float>, _ p5: UnsafePointer<Float>,
                                _ p6: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into tile: UnsafeMutablePointer<Float>) {
    channelLanePairBlock(weights, offsets, reduction: reduction, p0, p1, p2, p3, p4, p5, p6, seven: true, bias: bias, into: tile)
}

@inline(__always)
func channelLanePairBlock(_ weights: UnsafePointer<Float>, _ offsets: UnsafeRawPointer, reduction: Int,
                          _ p0: UnsafePointer<Float>, _ p1: UnsafePointer<Float>, _ p2: UnsafePointer<Float>,
                          _ p3: UnsafePointer<Float>, _ p4: UnsafePointer<Float>, _ p5: UnsafePointer<Float>,
                          _ p6: UnsafePointer<Float>, seven: Bool, bias: UnsafePointer<Float>?, into tile: UnsafeMutablePointer<Float>) {
    // The second block's packed weights follow the first's whole `[k][16]` panel.
    var w = weights
    let second = laneChannelBlock * reduction
    var a0 = SIMD16<Float>(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0
    var b0 = SIMD16<Float>(), b1 = b0, b2 = b0, b3 = b0, b4 = b0, b5 = b0, b6 = b0
    for term in 0..<reduction {
        let o = offsets.load(fromByteOffset: term * MemoryLayout<Int>.stride, as: Int.self)
        let first = UnsafeRawPointer(w).loadUnaligned(as: SIMD16<Float>.self)
        let next = UnsafeRawPointer(w + second).loadUnaligned(as: SIMD16<Float>.self)
        var x = SIMD16<Float>(repeating: p0[o])
        a0.accumulate(x, first); b0.accumulate(x, next)
        x = SIMD16(repeating: p1[o])
        a1.accumulate(x, first); b1.accumulate(x, next)
        x = SIMD16(repeating: p2[o])
        a2.accumulate(x, first); b2.accumulate(x, next)
        x = SIMD16(repeating: p3[o])
        a3.accumulate(x, first); b3.accumulate(x, next)
        x = SIMD16(repeating: p4[o])
        a4.accumulate(x, first); b4.accumulate(x, next)
        x = SIMD16(repeating: p5[o])
        a5.accumulate(x, first); b5.accumulate(x, next)
        if seven {
            x = SIMD16(repeating: p6[o])
            a6.accumulate(x, first); b6.accumulate(x, next)
        }
        w += laneChannelBlock
    }
    @inline(__always)
    func store(_ s0: SIMD16<Float>, _ s1: SIMD16<Float>, _ s2: SIMD16<Float>, _ s3: SIMD16<Float>, _ s4: SIMD16<Float>, _ s5: SIMD16<Float>,
               _ s6: SIMD16<Float>, block: Int) {
        let shift = bias.map { UnsafeRawPointer($0 + block * laneChannelBlock).loadUnaligned(as: SIMD16<Float>.self) } ?? SIMD16()
        let (t0, t1, t2, t3, t4, t5) = (s0 + shift, s1 + shift, s2 + shift, s3 + shift, s4 + shift, s5 + shift)
        // Rows 6 and 7 of the transpose: the seventh pixel and a copy, or copies of the fifth and sixth.
        let (u6, u7) = seven ? (s6 + shift, s6 + shift) : (t4, t5)
        storeTransposed(t0.lowHalf, t1.lowHalf, t2.lowHalf, t3.lowHalf, t4.lowHalf, t5.lowHalf, u6.lowHalf, u7.lowHalf, into: tile + block * 128)
        storeTransposed(t0.highHalf, t1.highHalf, t2.highHalf, t3.highHalf, t4.highHalf, t5.highHalf, u6.highHalf, u7.highHalf,
                        into: tile + block * 128 + 64)
    }
    store(a0, a1, a2, a3, a4, a5, a6, block: 0)
    store(b0, b1, b2, b3, b4, b5, b6, block: 1)
}
#endif

/// The columns of the 8×8 matrix whose first six rows are r0 … r5 (the last two are r4 and r5 again),
/// stored as eight vectors.
@inline(__always)
func storeTransposed(_ r0: SIMD8<Float>, _ r1: SIMD8<Float>, _ r2: SIMD8<Float>, _ r3: SIMD8<Float>, _ r4: SIMD8<Float>, _ r5: SIMD8<Float>,
                     into tile: UnsafeMutablePointer<Float>) {
    storeTransposed(r0, r1, r2, r3, r4, r5, r4, r5, into: tile)
}

/// The columns of the 8×8 matrix whose rows are r0 … r7, stored as eight vectors.
@inline(__always)
func storeTransposed(_ r0: SIMD8<Float>, _ r1: SIMD8<Float>, _ r2: SIMD8<Float>, _ r3: SIMD8<Float>, _ r4: SIMD8<Float>, _ r5: SIMD8<Float>,
                     _ r6: SIMD8<Float>, _ r7: SIMD8<Float>, into tile: UnsafeMutablePointer<Float>) {
    let columns = transposed(r0, r1, r2, r3, r4, r5, r6, r7)
    tile.storeVector(columns.0, at: 0)
    tile.storeVector(columns.1, at: 8)
    tile.storeVector(columns.2, at: 16)
    tile.storeVector(columns.3, at: 24)
    tile.storeVector(columns.4, at: 32)
    tile.storeVector(columns.5, at: 40)
    tile.storeVector(columns.6, at: 48)
    tile.storeVector(columns.7, at: 56)
}

/// The columns of the 8×8 matrix whose rows are r0 … r7: the three rounds of in-lane and cross-lane
/// shuffles of the usual AVX transpose.
@_transparent
func transposed(_ r0: SIMD8<Float>, _ r1: SIMD8<Float>, _ r2: SIMD8<Float>, _ r3: SIMD8<Float>,
                _ r4: SIMD8<Float>, _ r5: SIMD8<Float>, _ r6: SIMD8<Float>, _ r7: SIMD8<Float>)
    -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
    @_transparent func unpackLow(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[0], b[0], a[1], b[1], a[4], b[4], a[5], b[5]) }
    @_transparent func unpackHigh(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[2], b[2], a[3], b[3], a[6], b[6], a[7], b[7]) }
    @_transparent func pairsLow(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[0], a[1], b[0], b[1], a[4], a[5], b[4], b[5]) }
    @_transparent func pairsHigh(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[2], a[3], b[2], b[3], a[6], a[7], b[6], b[7]) }
    @_transparent func lowHalves(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]) }
    @_transparent func highHalves(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { SIMD8(a[4], a[5], a[6], a[7], b[4], b[5], b[6], b[7]) }
    let t0 = unpackLow(r0, r1), t1 = unpackHigh(r0, r1), t2 = unpackLow(r2, r3), t3 = unpackHigh(r2, r3)
    let t4 = unpackLow(r4, r5), t5 = unpackHigh(r4, r5), t6 = unpackLow(r6, r7), t7 = unpackHigh(r6, r7)
    let u0 = pairsLow(t0, t2), u1 = pairsHigh(t0, t2), u2 = pairsLow(t1, t3), u3 = pairsHigh(t1, t3)
    let u4 = pairsLow(t4, t6), u5 = pairsHigh(t4, t6), u6 = pairsLow(t5, t7), u7 = pairsHigh(t5, t7)
    return (lowHalves(u0, u4), lowHalves(u1, u5), lowHalves(u2, u6), lowHalves(u3, u7),
            highHalves(u0, u4), highHalves(u1, u5), highHalves(u2, u6), highHalves(u3, u7))
}
