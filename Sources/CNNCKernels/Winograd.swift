// MARK: Winograd F(2×2, 3×3)

/// A 3×3 stride-1 convolution computed by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray,
/// 2015): each 2×2 block of outputs (a tile) comes from the 4×4 input patch under it through
/// 16 element-wise products per input channel instead of 36 multiply-adds, so the multiplications
/// fall to 4/9 of a direct convolution's. Per block of tiles:
/// 1. the input transform `V = Bᵀ d B` of every channel's patches, into 16 matrices `[channel][tile]`;
/// 2. the 16 matrix products `M_ξ = U_ξ · V_ξ` with the GEMM's register block, panel by panel of
///    `gemmRowBlock` output channels, `U = G g Gᵀ` being the weights transformed when code is generated;
/// 3. the output transform `Y = Aᵀ M A` of every output channel's tiles, then bias, residual and activation.
/// The sums run in a different order from the interpreter's and the transforms round, so results
/// agree within the reordered row of docs/testing.md's tolerance table rather than bit for bit.
@inline(__always)
package func winogradApplies(_ g: ConvolutionGeometry) -> Bool {
    g.groups == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideHeight == 1 && g.strideWidth == 1
        && g.dilationHeight == 1 && g.dilationWidth == 1
}

/// Tiles of 2×2 outputs along each side (the last one may hang over an odd side).
@inline(__always)
func winogradTiles(_ g: ConvolutionGeometry) -> (rows: Int, columns: Int) {
    ((g.outHeight + 1) / 2, (g.outWidth + 1) / 2)
}

/// Tiles of one output channel.
package func winogradTileCount(_ g: ConvolutionGeometry) -> Int {
    let tiles = winogradTiles(g)
    return tiles.rows * tiles.columns
}

/// Tiles transformed at once: the block's 16 input matrices (`16 · in · tiles` floats) stay in the
/// L2 cache, each in L1 while it is multiplied (256 KiB measured no faster than 128).
@inline(__always)
package func winogradTileBlock(_ g: ConvolutionGeometry) -> Int {
    let budget = 32 * 1024  // floats (128 KiB): an eighth of a 1 MiB L2, a quarter of a 512 KiB one
    let fitting = budget / (16 * g.inChannels) / gemmColumnBlock * gemmColumnBlock
    let tiles = winogradTiles(g)
    return min(max(2 * gemmColumnBlock, min(256, fitting)), roundUp(tiles.rows * tiles.columns, to: gemmColumnBlock))
}

/// Floats of scratch `convolveWinograd` needs: the transformed inputs of one block of tiles and their
/// 16 products with every output channel's transformed weights.
package func winogradScratchCount(_ g: ConvolutionGeometry) -> Int {
    16 * (g.inChannels + roundUp(g.outChannels, to: gemmRowBlock)) * winogradTileBlock(g)
}

/// Floats of the transformed weights (`packForWinograd`).
package func winogradPackedCount(_ g: ConvolutionGeometry) -> Int {
    16 * roundUp(g.outChannels, to: gemmRowBlock) * g.inChannels
}

/// `U = G g Gᵀ` of every `[out, in, 3, 3]` filter, computed in double precision and rounded once,
/// laid out `[ξ][panel][in][gemmRowBlock]` (ξ = 4·row + column of U) for the GEMM's register block;
/// zero-filled past the last output channel.
package func packForWinograd(_ weights: [Float], geometry g: ConvolutionGeometry) -> [Float] {
    let panels = roundUp(g.outChannels, to: gemmRowBlock) / gemmRowBlock
    let inputs = g.inChannels
    var packed = [Float](repeating: 0, count: winogradPackedCount(g))
    for output in 0..<g.outChannels {
        for input in 0..<inputs {
            let filter = (0..<9).map { Double(weights[(output * inputs + input) * 9 + $0]) }
            // G g: 4×3, G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
            var left = [Double](repeating: 0, count: 12)
            for column in 0..<3 {
                let (g0, g1, g2) = (filter[column], filter[3 + column], filter[6 + column])
                left[column] = g0
                left[3 + column] = (g0 + g1 + g2) / 2
                left[6 + column] = (g0 - g1 + g2) / 2
                left[9 + column] = g2
            }
            // (G g) Gᵀ: 4×4.
            for row in 0..<4 {
                let (h0, h1, h2) = (left[row * 3], left[row * 3 + 1], left[row * 3 + 2])
                let transformed = [h0, (h0 + h1 + h2) / 2, (h0 - h1 + h2) / 2, h2]
                for column in 0..<4 {
                    let xi = row * 4 + column
                    let index = ((xi * panels + output / gemmRowBlock) * inputs + input) * gemmRowBlock + output % gemmRowBlock
                    packed[index] = Float(transformed[column])
                }
            }
        }
    }
    return packed
}

@inline(__always)
package func convolveWinograd(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                             residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                             activation: some ActivationKernel, scratch: UnsafeMutablePointer<Float>, share: WorkShare = .whole) {
    let tiles = winogradTiles(g)
    let tileCount = tiles.rows * tiles.columns
    let block = winogradTileBlock(g)
    let panels = roundUp(g.outChannels, to: gemmRowBlock) / gemmRowBlock
    let transformed = scratch
    let products = scratch + 16 * g.inChannels * block
    // Parts split the tiles in whole register blocks where there are at least two per part; otherwise
    // the panels of output channels, each part transforming every tile into its own scratch. Every
    // output is computed the same way by whichever part has it.
    let splitsTiles = roundUp(tileCount, to: gemmColumnBlock) / gemmColumnBlock >= 2 * share.parts
    let tileRange = splitsTiles ? share.range(tileCount, granule: gemmColumnBlock) : 0..<tileCount
    let panelRange = splitsTiles ? 0..<panels : share.range(panels)
    var first = tileRange.lowerBound
    while first < tileRange.upperBound {
        let count = min(block, tileRange.upperBound - first)
        let columns = roundUp(count, to: gemmColumnBlock)
        winogradInputTransform(input, into: transformed, stride: block, geometry: g, first: first, count: count, columns: columns)
        // Each V_ξ stays in L1 while every panel multiplies it (0.83–0.96× the time of a panel at a time).
        for xi in 0..<16 {
            for panel in panelRange {
                let weights = packedWeights + (xi * panels + panel) * g.inChannels * gemmRowBlock
                var column = 0
                while column < columns {
                    multiplyBlock(weights, transformed + xi * g.inChannels * block + column, stride: block, reduction: g.inChannels,
                                  output: products + (xi * panels + panel) * gemmRowBlock * block + column, residual: nil, outputStride: block,
                                  rows: gemmRowBlock, columns: gemmColumnBlock, bias: nil, activation: Activations.Identity())
                    column += gemmColumnBlock
                }
            }
        }
        for channel in panelRange.lowerBound * gemmRowBlock..<min(panelRange.upperBound * gemmRowBlock, g.outChannels) {
            winogradOutputTransform(products + channel * block, stride: panels * gemmRowBlock * block, geometry: g, first: first, count: count,
                                    shift: bias?[channel] ?? 0, residual: residual.map { $0 + channel * g.outPlane },
                                    output: output + channel * g.outPlane, activation: activation)
        }
        first += count
    }
}

/// `V = Bᵀ d B` of tiles `first ..< first + count` of every input channel, eight tiles per vector:
/// `V_ξ[channel][tile]` at `transformed + (ξ · in + channel) · stride + tile − first`, zeros in the
/// columns from `count` to `columns`. Patches reaching past the (padded) input read zeros; only outputs
/// past an odd side, never stored, depend on them.
@inline(__always)
func winogradInputTransform(_ input: UnsafePointer<Float>, into transformed: UnsafeMutablePointer<Float>, stride: Int,
                            geometry g: ConvolutionGeometry, first: Int, count: Int, columns: Int) {
    let tiles = winogradTiles(g)
    for channel in 0..<g.inChannels {
        let plane = input + channel * g.inPlane
        var lane0 = 0
        while lane0 < columns {
            let tile = first + lane0
            let tileRow = tile / tiles.columns, tileColumn = tile % tiles.columns
            var d = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(),
                     SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
            if lane0 + 8 <= count && tileColumn + 8 <= tiles.columns && 2 * tileColumn + 18 <= g.inWidth && 2 * tileRow + 4 <= g.inHeight {
                // Eight tiles side by side: each patch row is two 16-float loads split into even and odd columns.
                let top = plane + 2 * tileRow * g.inWidth + 2 * tileColumn
                func row(_ r: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                    let left = UnsafeRawPointer(top + r * g.inWidth).loadUnaligned(as: SIMD16<Float>.self)
                    let right = UnsafeRawPointer(top + r * g.inWidth + 2).loadUnaligned(as: SIMD16<Float>.self)
                    return (left.evenHalf, left.oddHalf, right.evenHalf, right.oddHalf)
                }
                (d.0, d.1, d.2, d.3) = row(0)
                (d.4, d.5, d.6, d.7) = row(1)
                (d.8, d.9, d.10, d.11) = row(2)
                (d.12, d.13, d.14, d.15) = row(3)
            } else if lane0 + 8 <= count && 2 * tiles.columns + 2 <= g.inWidth && 2 * ((tile + 7) / tiles.columns) + 4 <= g.inHeight {
                // Eight tiles over several tile rows (narrow maps), every patch inside: one load per lane and value.
                let o = tileOffsets(tile, columns: tiles.columns, rowStride: 2 * g.inWidth)
                func at(_ r: Int, _ c: Int) -> SIMD8<Float> {
                    let p = plane + r * g.inWidth + c
                    return SIMD8(p[o.0], p[o.1], p[o.2], p[o.3], p[o.4], p[o.5], p[o.6], p[o.7])
                }
                d = (at(0, 0), at(0, 1), at(0, 2), at(0, 3), at(1, 0), at(1, 1), at(1, 2), at(1, 3),
                     at(2, 0), at(2, 1), at(2, 2), at(2, 3), at(3, 0), at(3, 1), at(3, 2), at(3, 3))
            } else {
                withUnsafeMutableBytes(of: &d) { raw in
                    let patch = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                    for lane in 0..<max(0, min(8, count - lane0)) {
                        let y0 = 2 * ((tile + lane) / tiles.columns), x0 = 2 * ((tile + lane) % tiles.columns)
                        for r in 0..<4 where y0 + r < g.inHeight {
                            for c in 0..<4 where x0 + c < g.inWidth { patch[(r * 4 + c) * 8 + lane] = plane[(y0 + r) * g.inWidth + x0 + c] }
                        }
                    }
                }
            }
            // Bᵀ d (rows), Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]] …
            let e0 = (d.0 - d.8, d.1 - d.9, d.2 - d.10, d.3 - d.11)
            let e1 = (d.4 + d.8, d.5 + d.9, d.6 + d.10, d.7 + d.11)
            let e2 = (d.8 - d.4, d.9 - d.5, d.10 - d.6, d.11 - d.7)
            let e3 = (d.4 - d.12, d.5 - d.13, d.6 - d.14, d.7 - d.15)
            // … then (Bᵀ d) B (columns), stored as V_ξ with ξ = 4·row + column.
            func store(_ r: Int, _ e: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)) {
                let base = transformed + (4 * r * g.inChannels + channel) * stride + lane0
                let step = g.inChannels * stride
                base.storeVector(e.0 - e.2, at: 0)
                base.storeVector(e.1 + e.2, at: step)
                base.storeVector(e.2 - e.1, at: 2 * step)
                base.storeVector(e.1 - e.3, at: 3 * step)
            }
            store(0, e0)
            store(1, e1)
            store(2, e2)
            store(3, e3)
            lane0 += 8
        }
    }
}

/// `Y = Aᵀ M A` of one output channel's tiles `first ..< first + count` (`M_ξ` at `products + ξ · stride`),
/// plus the bias and the residual, through the activation, stored where each tile's outputs lie inside
/// the output. Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].
@inline(__always)
func winogradOutputTransform(_ products: UnsafeMutablePointer<Float>, stride: Int, geometry g: ConvolutionGeometry, first: Int, count: Int,
                             shift: Float, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
                             activation: some ActivationKernel) {
    let tiles = winogradTiles(g)
    var lane0 = 0
    while lane0 < count {
        let tile = first + lane0
        let tileRow = tile / tiles.columns, tileColumn = tile % tiles.columns
        func m(_ xi: Int) -> SIMD8<Float> { products.loadVector(at: xi * stride + lane0) }
        // Aᵀ M (rows) …
        let s0 = (m(0) + m(4) + m(8), m(1) + m(5) + m(9), m(2) + m(6) + m(10), m(3) + m(7) + m(11))
        let s1 = (m(4) - m(8) - m(12), m(5) - m(9) - m(13), m(6) - m(10) - m(14), m(7) - m(11) - m(15))
        // … then (Aᵀ M) A (columns), plus the bias.
        let bias = SIMD8<Float>(repeating: shift)
        var y00 = s0.0 + s0.1 + s0.2 + bias, y01 = s0.1 - s0.2 - s0.3 + bias
        var y10 = s1.0 + s1.1 + s1.2 + bias, y11 = s1.1 - s1.2 - s1.3 + bias
        let y = 2 * tileRow, x = 2 * tileColumn
        if lane0 + 8 <= count && tileColumn + 8 <= tiles.columns && x + 16 <= g.outWidth && y + 2 <= g.outHeight {
            // Eight tiles side by side: each output row is one 16-float store of interleaved columns.
            let top = y * g.outWidth + x
            if let residual {
                let upper = UnsafeRawPointer(residual + top).loadUnaligned(as: SIMD16<Float>.self)
                let lower = UnsafeRawPointer(residual + top + g.outWidth).loadUnaligned(as: SIMD16<Float>.self)
                y00 += upper.evenHalf
                y01 += upper.oddHalf
                y10 += lower.evenHalf
                y11 += lower.oddHalf
            }
            var upper = SIMD16<Float>(), lower = SIMD16<Float>()
            upper.evenHalf = activation.apply(y00)
            upper.oddHalf = activation.apply(y01)
            lower.evenHalf = activation.apply(y10)
            lower.oddHalf = activation.apply(y11)
            UnsafeMutableRawPointer(output + top).storeBytes(of: upper, as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(output + top + g.outWidth).storeBytes(of: lower, as: SIMD16<Float>.self)
        } else if lane0 + 8 <= count && 2 * tiles.columns <= g.outWidth && 2 * ((tile + 7) / tiles.columns) + 2 <= g.outHeight {
            // Eight tiles over several tile rows (narrow maps), every output inside: one store per lane and value.
            let o = tileOffsets(tile, columns: tiles.columns, rowStride: 2 * g.outWidth)
            func finish(_ sum: SIMD8<Float>, _ r: Int, _ c: Int) {
                var sum = sum
                let shift = r * g.outWidth + c
                if let residual {
                    let p = residual + shift
                    sum += SIMD8(p[o.0], p[o.1], p[o.2], p[o.3], p[o.4], p[o.5], p[o.6], p[o.7])
                }
                let value = activation.apply(sum)
                let p = output + shift
                (p[o.0], p[o.1], p[o.2], p[o.3], p[o.4], p[o.5], p[o.6], p[o.7]) =
                    (value[0], value[1], value[2], value[3], value[4], value[5], value[6], value[7])
            }
            finish(y00, 0, 0)
            finish(y01, 0, 1)
            finish(y10, 1, 0)
            finish(y11, 1, 1)
        } else {
            let lanes = min(8, count - lane0)
            var values = (y00, y01, y10, y11)
            withUnsafeMutableBytes(of: &values) { raw in
                let sums = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                for lane in 0..<lanes {
                    let y0 = 2 * ((tile + lane) / tiles.columns), x0 = 2 * ((tile + lane) % tiles.columns)
                    for r in 0..<2 where y0 + r < g.outHeight {
                        for c in 0..<2 where x0 + c < g.outWidth {
                            let index = (y0 + r) * g.outWidth + x0 + c
                            if let residual { sums[(r * 2 + c) * 8 + lane] += residual[index] }
                        }
                    }
                }
                for vector in 0..<4 {
                    (sums + 8 * vector).storeVector(activation.apply((sums + 8 * vector).loadVector(at: 0)), at: 0)
                }
                for lane in 0..<lanes {
                    let y0 = 2 * ((tile + lane) / tiles.columns), x0 = 2 * ((tile + lane) % tiles.columns)
                    for r in 0..<2 where y0 + r < g.outHeight {
                        for c in 0..<2 where x0 + c < g.outWidth { output[(y0 + r) * g.outWidth + x0 + c] = sums[(r * 2 + c) * 8 + lane] }
                    }
                }
            }
        }
        lane0 += 8
    }
}

/// The offsets of the top-left corners of tiles `first ..< first + 8`, in a plane whose tile rows are
/// `rowStride` floats apart and whose tiles are two floats apart within a row.
@inline(__always)
func tileOffsets(_ first: Int, columns: Int, rowStride: Int) -> (Int, Int, Int, Int, Int, Int, Int, Int) {
    func offset(_ lane: Int) -> Int { (first + lane) / columns * rowStride + 2 * ((first + lane) % columns) }
    return (offset(0), offset(1), offset(2), offset(3), offset(4), offset(5), offset(6), offset(7))
}
