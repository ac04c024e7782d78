// MARK: Winograd F(2×2, 3×3)

/// A 3×3 stride-1 convolution computed by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray,
/// 2015): each 2×2 block of outputs (a tile) comes from the 4×4 input patch under it through
/// 16 element-wise products per input channel instead of 36 multiply-adds, so the multiplications
/// fall to 4/9 of a direct convolution's. Per block of tiles:
/// 1. the input transform `V = Bᵀ d B` of every channel's patches, into 16 matrices `[channel][tile]`;
/// 2. the 16 matrix products `M_ξ = U_ξ · V_ξ` with the GEMM's register block, panel by panel of
///    `gemmRowBlock` output channels, `U = G g Gᵀ` being the weights transformed once, on the network's first call;
/// 3. the output transform `Y = Aᵀ M A` of every output channel's tiles, then bias, residual and activation.
/// The sums run in a different order from the interpreter's and the transforms round, so results
/// agree within the reordered row of docs/testing.md's tolerance table rather than bit for bit.
///
/// A dilated convolution is `dh · dw` undilated ones, one per phase: the outputs whose row is `py`
/// modulo `dh` and column `px` modulo `dw` read only the inputs of the same phase (atrous
/// convolution's space-to-batch, done here by addressing instead of copying). A tile of a dilated
/// layer covers outputs `d` apart and reads a 4×4 patch `d` apart.
@inline(__always)
package func winogradApplies(_ g: ConvolutionGeometry) -> Bool {
    g.groups == 1 && g.kernelHeight == 3 && g.kernelWidth == 3 && g.strideHeight == 1 && g.strideWidth == 1
}

/// How the output is cut into tiles along one side: `count` tiles, `perPhase` in each phase, the last
/// ones of a phase maybe hanging over the side. Undilated, tile `i` starts at `2 i`. Dilated columns
/// run phase by phase (tile `i` at `i / perPhase + 2 · dilation · (i % perPhase)`), so that tiles side by
/// side share a phase; dilated rows alternate phases (tile `i` at `i % dilation + 2 · dilation ·
/// (i / dilation)`), so that threads splitting the tiles write separate bands of rows (phase by phase,
/// two threads wrote alternate rows, sharing the cache line at each row's end; bands took 0.94× the
/// time of a 32-channel dilated layer on two threads).
struct WinogradTiling {
    let count: Int, perPhase: Int, dilation: Int, alternating: Bool

    @inline(__always)
    init(outputs: Int, dilation: Int, alternating: Bool) {
        self.dilation = dilation
        self.alternating = alternating
        perPhase = (outputs + 2 * dilation - 1) / (2 * dilation)
        count = dilation * perPhase
    }

    @inline(__always)
    func origin(_ tile: Int) -> Int {
        dilation == 1 ? 2 * tile
            : alternating ? tile % dilation + 2 * dilation * (tile / dilation) : tile / perPhase + 2 * dilation * (tile % perPhase)
    }

    /// Whether tiles `tile ..< tile + 8` are consecutive ones of one phase, each `2 · dilation` after the
    /// last (columns only).
    @inline(__always)
    func sideBySide(_ tile: Int) -> Bool { tile % perPhase + 8 <= perPhase }
}

/// A layer's tiles, row by row of tiles.
struct WinogradTiles {
    let rows: WinogradTiling, columns: WinogradTiling

    @inline(__always)
    var count: Int { rows.count * columns.count }

    /// The output row and column of tile `tile`'s first output.
    @inline(__always)
    func origin(_ tile: Int) -> (y: Int, x: Int) { (rows.origin(tile / columns.count), columns.origin(tile % columns.count)) }
}

@inline(__always)
func winogradTiles(_ g: ConvolutionGeometry) -> WinogradTiles {
    WinogradTiles(rows: WinogradTiling(outputs: g.outHeight, dilation: g.dilationHeight, alternating: true),
                  columns: WinogradTiling(outputs: g.outWidth, dilation: g.dilationWidth, alternating: false))
}

/// Tiles of one output channel.
package func winogradTileCount(_ g: ConvolutionGeometry) -> Int {
    winogradTiles(g).count
}

/// Tiles transformed at once: the block's 16 input matrices (`16 · in · tiles` floats) stay in the
/// L2 cache, each in L1 while it is multiplied (256 KiB measured no faster than 128).
@inline(__always)
package func winogradTileBlock(_ g: ConvolutionGeometry) -> Int {
    let budget = 32 * 1024  // floats (128 KiB): an eighth of a 1 MiB L2, a quarter of a 512 KiB one
    let fitting = budget / (16 * g.inChannels) / gemmColumnBlock * gemmColumnBlock
    return min(max(2 * gemmColumnBlock, min(256, fitting)), roundUp(winogradTileCount(g), to: gemmColumnBlock))
}

/// Floats of scratch `convolveWinograd` needs: the transformed inputs of one block of tiles and their
/// 16 products with every output channel's transformed weights.
package func winogradScratchCount(_ g: ConvolutionGeometry) -> Int {
    16 * g.inChannels * winogradTransformedStride(g) + 16 * roundUp(g.outChannels, to: gemmRowBlock) * winogradTileBlock(g)
}

/// Floats from one channel's row of a transformed input matrix to the next: a block of tiles and
/// room for the whole vector `winogradInputTransformByRows` stores at the block's last tile.
@inline(__always)
func winogradTransformedStride(_ g: ConvolutionGeometry) -> Int {
    winogradTileBlock(g) + 16
}

/// Floats of the transformed weights (`transformWinogradFilters`).
package func winogradPackedCount(_ g: ConvolutionGeometry) -> Int {
    16 * roundUp(g.outChannels, to: gemmRowBlock) * g.inChannels
}

/// `U = G g Gᵀ` of every `[out, in, 3, 3]` filter in `filters`, computed in double precision and
/// rounded once, into `packed` laid out `[ξ][panel][in][gemmRowBlock]` (ξ = 4·row + column of U) for
/// the GEMM's register block, zero past the last output channel. The network runs it once, on its
/// first call, into static memory: embedding `U` would take 16/9 of the filters' bytes.
package func transformWinogradFilters(_ filters: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>,
                                      geometry g: ConvolutionGeometry) {
    let panels = roundUp(g.outChannels, to: gemmRowBlock) / gemmRowBlock
    let inputs = g.inChannels
    packed.update(repeating: 0, count: winogradPackedCount(g))
    // Panel by panel, input by input: the 16 values of a panel's filters go to 16 sequential streams
    // (output by output, 16 scattered lines per filter took 20 ms on imagenet_stem's first call).
    for panel in 0..<panels {
        for input in 0..<inputs {
            for lane in 0..<min(gemmRowBlock, g.outChannels - panel * gemmRowBlock) {
                let filter = filters + ((panel * gemmRowBlock + lane) * inputs + input) * 9
                // G g: 4×3, G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]; one vector per column.
                func leftColumn(_ column: Int) -> SIMD4<Double> {
                    let (g0, g1, g2) = (Double(filter[column]), Double(filter[3 + column]), Double(filter[6 + column]))
                    return SIMD4(g0, (g0 + g1 + g2) / 2, (g0 - g1 + g2) / 2, g2)
                }
                let left = (leftColumn(0), leftColumn(1), leftColumn(2))
                // (G g) Gᵀ: 4×4.
                for row in 0..<4 {
                    let (h0, h1, h2) = (left.0[row], left.1[row], left.2[row])
                    let transformed = SIMD4(h0, (h0 + h1 + h2) / 2, (h0 - h1 + h2) / 2, h2)
                    for column in 0..<4 {
                        packed[(((row * 4 + column) * panels + panel) * inputs + input) * gemmRowBlock + lane] = Float(transformed[column])
                    }
                }
            }
        }
    }
}

@inline(__always)
package func convolveWinograd(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                             residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                             activation: some ActivationKernel, scratch: UnsafeMutablePointer<Float>, share: WorkShare = .whole) {
    let tileCount = winogradTileCount(g)
    let block = winogradTileBlock(g)
    let panels = roundUp(g.outChannels, to: gemmRowBlock) / gemmRowBlock
    let transformed = scratch, transformedStride = winogradTransformedStride(g)
    let products = scratch + 16 * g.inChannels * transformedStride
    // Parts split the tiles in whole register blocks where there are at least two per part; otherwise
    // the panels of output channels, each part transforming every tile into its own scratch. Every
    // output is computed the same way by whichever part has it.
    let splitsTiles = roundUp(tileCount, to: gemmColumnBlock) / gemmColumnBlock >= 2 * share.parts
    let tileRange = splitsTiles ? share.range(tileCount, granule: gemmColumnBlock) : 0..<tileCount
    let panelRange = splitsTiles ? 0..<panels : share.range(panels)
    #if CNNC_AVX512
    let takesTileRows = winogradTakesTileRows(g)
    #else
    let takesTileRows = false
    #endif
    var first = tileRange.lowerBound
    while first < tileRange.upperBound {
        let count = min(block, tileRange.upperBound - first)
        let columns = roundUp(count, to: gemmColumnBlock)
        if takesTileRows {
            #if CNNC_AVX512
            winogradInputTransformByRows(input, into: transformed, stride: transformedStride, geometry: g, first: first, count: count,
                                         columns: columns)
            #endif
        } else {
            winogradInputTransform(input, into: transformed, stride: transformedStride, geometry: g, first: first, count: count,
                                   columns: columns)
        }
        // Each V_ξ stays in L1 while every panel multiplies it (0.83–0.96× the time of a panel at a time).
        for xi in 0..<16 {
            let source = transformed + xi * g.inChannels * transformedStride
            func weights(_ panel: Int) -> UnsafePointer<Float> { packedWeights + (xi * panels + panel) * g.inChannels * gemmRowBlock }
            func target(_ panel: Int, _ column: Int) -> UnsafeMutablePointer<Float> {
                products + (xi * panels + panel) * gemmRowBlock * block + column
            }
            var done = 0
            #if CNNC_AVX512
            // Twelve 512-bit sums per register block (`WinogradWideSums`): 32 tiles of one panel, then
            // 16 tiles of two panels for a block's last 16 columns.
            done = columns / (2 * gemmColumnBlock) * (2 * gemmColumnBlock)
            for panel in panelRange {
                for column in Swift.stride(from: 0, to: done, by: 2 * gemmColumnBlock) {
                    var sums = WinogradWideSums()
                    sums.accumulateTilePair(weights(panel), source + column, stride: transformedStride, reduction: g.inChannels)
                    sums.storeTilePair(target(panel, column), stride: block)
                }
            }
            if done < columns {
                var panel = panelRange.lowerBound
                while panel + 2 <= panelRange.upperBound {
                    var sums = WinogradWideSums()
                    sums.accumulatePanelPair(weights(panel), weights(panel + 1), source + done, stride: transformedStride, reduction: g.inChannels)
                    sums.storePanelPair(target(panel, done), stride: block)
                    panel += 2
                }
                if panel < panelRange.upperBound {
                    multiplyBlock(weights(panel), source + done, stride: transformedStride, reduction: g.inChannels, output: target(panel, done), residual: nil,
                                  outputStride: block, rows: gemmRowBlock, columns: gemmColumnBlock, bias: nil, activation: Activations.Identity())
                }
                done = columns
            }
            #endif
            for panel in panelRange {
                for column in Swift.stride(from: done, to: columns, by: gemmColumnBlock) {
                    multiplyBlock(weights(panel), source + column, stride: transformedStride, reduction: g.inChannels, output: target(panel, column), residual: nil,
                                  outputStride: block, rows: gemmRowBlock, columns: gemmColumnBlock, bias: nil, activation: Activations.Identity())
                }
            }
        }
        winogradOutputTransform(products, stride: panels * gemmRowBlock * block, geometry: g, first: first, count: count,
                                channels: panelRange.lowerBound * gemmRowBlock..<min(panelRange.upperBound * gemmRowBlock, g.outChannels),
                                bias: bias, residual: residual, output: output, activation: activation)
        first += count
    }
}

#if CNNC_AVX512
/// The register block of an AVX-512 compilation's Winograd products: twelve 512-bit sums, either 6
/// output channels (a panel) × 32 tiles or 12 channels (two panels) × 16 tiles. `multiplyBlock`'s
/// six sums are too few to hide the multiply-add's latency on cores with two full-width units (Zen 5:
/// imagenet_stem's 64-channel layers took 0.8× the time). Each sum runs over the input channels in
/// ascending order, as `multiplyBlock`'s, so the products are the same bit for bit.
struct WinogradWideSums {
    var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
    var s4 = SIMD16<Float>(), s5 = SIMD16<Float>(), s6 = SIMD16<Float>(), s7 = SIMD16<Float>()
    var s8 = SIMD16<Float>(), s9 = SIMD16<Float>(), s10 = SIMD16<Float>(), s11 = SIMD16<Float>()

    /// Panel `weights` × tiles `columns ..< columns + 32`: row r's tiles in `s(2r)` and `s(2r + 1)`.
    @_transparent
    mutating func accumulateTilePair(_ weights: UnsafePointer<Float>, _ columns: UnsafePointer<Float>, stride: Int, reduction: Int) {
        var a = weights, b = UnsafeRawPointer(columns)
        for _ in 0..<reduction {
            let left = b.loadUnaligned(as: SIMD16<Float>.self), right = b.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            var w = SIMD16<Float>(repeating: a[0])
            s0.accumulate(w, left); s1.accumulate(w, right)
            w = SIMD16(repeating: a[1])
            s2.accumulate(w, left); s3.accumulate(w, right)
            w = SIMD16(repeating: a[2])
            s4.accumulate(w, left); s5.accumulate(w, right)
            w = SIMD16(repeating: a[3])
            s6.accumulate(w, left); s7.accumulate(w, right)
            w = SIMD16(repeating: a[4])
            s8.accumulate(w, left); s9.accumulate(w, right)
            w = SIMD16(repeating: a[5])
            s10.accumulate(w, left); s11.accumulate(w, right)
            a += gemmRowBlock
            b += stride * MemoryLayout<Float>.stride
        }
    }

    /// Panels `first` and `second` × tiles `columns ..< columns + 16`: row r's tiles in `s(r)`.
    @_transparent
    mutating func accumulatePanelPair(_ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>, _ columns: UnsafePointer<Float>,
                                      stride: Int, reduction: Int) {
        var a = first, c = second, b = UnsafeRawPointer(columns)
        for _ in 0..<reduction {
            let tiles = b.loadUnaligned(as: SIMD16<Float>.self)
            s0.accumulate(SIMD16(repeating: a[0]), tiles)
            s1.accumulate(SIMD16(repeating: a[1]), tiles)
            s2.accumulate(SIMD16(repeating: a[2]), tiles)
            s3.accumulate(SIMD16(repeating: a[3]), tiles)
            s4.accumulate(SIMD16(repeating: a[4]), tiles)
            s5.accumulate(SIMD16(repeating: a[5]), tiles)
            s6.accumulate(SIMD16(repeating: c[0]), tiles)
            s7.accumulate(SIMD16(repeating: c[1]), tiles)
            s8.accumulate(SIMD16(repeating: c[2]), tiles)
            s9.accumulate(SIMD16(repeating: c[3]), tiles)
            s10.accumulate(SIMD16(repeating: c[4]), tiles)
            s11.accumulate(SIMD16(repeating: c[5]), tiles)
            a += gemmRowBlock
            c += gemmRowBlock
            b += stride * MemoryLayout<Float>.stride
        }
    }

    /// Row r of `accumulateTilePair`'s sums at `output + r · stride`.
    @_transparent
    func storeTilePair(_ output: UnsafeMutablePointer<Float>, stride: Int) {
        put(s0, output, 0); put(s1, output, 16)
        put(s2, output, stride); put(s3, output, stride + 16)
        put(s4, output, 2 * stride); put(s5, output, 2 * stride + 16)
        put(s6, output, 3 * stride); put(s7, output, 3 * stride + 16)
        put(s8, output, 4 * stride); put(s9, output, 4 * stride + 16)
        put(s10, output, 5 * stride); put(s11, output, 5 * stride + 16)
    }

    /// Row r of `accumulatePanelPair`'s sums at `output + r · stride`.
    @_transparent
    func storePanelPair(_ output: UnsafeMutablePointer<Float>, stride: Int) {
        put(s0, output, 0); put(s1, output, stride); put(s2, output, 2 * stride); put(s3, output, 3 * stride)
        put(s4, output, 4 * stride); put(s5, output, 5 * stride); put(s6, output, 6 * stride); put(s7, output, 7 * stride)
        put(s8, output, 8 * stride); put(s9, output, 9 * stride); put(s10, output, 10 * stride); put(s11, output, 11 * stride)
    }

    @_transparent
    func put(_ sums: SIMD16<Float>, _ output: UnsafeMutablePointer<Float>, _ offset: Int) {
        UnsafeMutableRawPointer(output + offset).storeBytes(of: sums, as: SIMD16<Float>.self)
    }
}
#endif

#if CNNC_AVX512
/// The even and the odd columns of the 32 floats at `p`, by halves: `SIMD32.evenHalf` stayed a call
/// (the layer took 1.8× the time), and taking the elements one by one, LLVM merged the loads at `p`
/// and `p + 2` into gathers (1.4×).
@_transparent
func evenAndOddColumns(_ p: UnsafeRawPointer) -> (SIMD16<Float>, SIMD16<Float>) {
    let a = p.loadUnaligned(as: SIMD16<Float>.self), b = p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    return (SIMD16(lowHalf: a.evenHalf, highHalf: b.evenHalf), SIMD16(lowHalf: a.oddHalf, highHalf: b.oddHalf))
}

/// Whether an AVX-512 compilation transforms the inputs tile row by tile row
/// (`winogradInputTransformByRows`): undilated layers whose rows hold at least 12 tiles, three
/// quarters of a vector, or exactly 8 or 4, two or four rows to a vector. Measured with `--profile`
/// (Zen 5, 2026-12-04, three rounds) against eight tiles per vector: imagenet_stem's 56×56 layers
/// (rows of 28 tiles) 0.85–0.92×, its 28×28 one (14) 0.93×; cifar_vgg's 16×16 conv4 (8) 0.83×, its
/// 8×8 conv5 and conv6 (4) 0.85×, resnet_cifar's 8×8 layers 0.78×. With one tile row per vector,
/// rows of 8 took 1.12× and rows of 4 1.3×. Not the x86-64-v3 compilation's: in vectors of eight,
/// tile rows took 1.03–1.07× its time on imagenet_stem.
@inline(__always)
func winogradTakesTileRows(_ g: ConvolutionGeometry) -> Bool {
    let perRow = winogradTiles(g).columns.count
    return g.dilationHeight == 1 && g.dilationWidth == 1 && (perRow >= 12 || perRow == 8 || perRow == 4)
}

/// `winogradInputTransform` of an undilated layer, sixteen tiles of one tile row per vector: each
/// row of their patches is two unaligned loads of the input row split into even and odd columns
/// (`d(r, 0)`, `d(r, 1)` from the load at the tiles' first column, `d(r, 2)`, `d(r, 3)` from the one
/// two columns on), with no gathering at the ends of rows. The sums are `winogradInputTransform`'s,
/// operation for operation: the same results.
///
/// Every store is a whole vector, so the transformed rows have room past the block
/// (`winogradTransformedStride`): the tiles stored past the end of a tile row are overwritten by
/// the next row's, and the columns from `count` to `columns` are zeroed at the end.
@inline(__always)
func winogradInputTransformByRows(_ input: UnsafePointer<Float>, into transformed: UnsafeMutablePointer<Float>, stride: Int,
                                  geometry g: ConvolutionGeometry, first: Int, count: Int, columns: Int) {
    let lanes = 16
    let perRow = winogradTiles(g).columns.count
    // Rows of 8 or 4 tiles: each vector holds 2 or 4 whole tile rows (`winogradTakesTileRows`), whose
    // blocks and shares, multiples of 16 tiles, begin at the start of a row.
    let rowsPerVector = perRow >= 12 ? 1 : lanes / perRow
    let matrixStride = g.inChannels * stride
    let inputEnd = g.inChannels * g.inPlane
    // Floats each patch row reads from its first column, and input rows from the first tile row's first.
    let reach = 2 * (lanes / rowsPerVector) + 2, inputRows = 2 * rowsPerVector + 2
    // The last rows of the last plane, copied with zeros past the input so that the loads stay inside it.
    let bufferWidth = 2 * lanes + 4
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 10 * bufferWidth) { buffer in
        let copy = buffer.baseAddress!
        for channel in 0..<g.inChannels {
            let plane = channel * g.inPlane
            var tile = first
            while tile < first + count {
                let (row, column) = tile.quotientAndRemainder(dividingBy: perRow)
                let tiles = min(rowsPerVector == 1 ? perRow - column : lanes, lanes, first + count - tile)
                let start = plane + 2 * row * g.inWidth + 2 * column
                var source = input + start, rowStride = g.inWidth
                if start + (inputRows - 1) * g.inWidth + reach > inputEnd {
                    for r in 0..<inputRows {
                        for c in 0..<reach {
                            let at = start + r * g.inWidth + c
                            copy[r * bufferWidth + c] = at < inputEnd ? input[at] : 0
                        }
                    }
                    source = UnsafePointer(copy)
                    rowStride = bufferWidth
                }
                /// The even and odd columns of every tile row's patch row `r` from `offset` on.
                @inline(__always) func columns(_ r: Int, _ offset: Int) -> (SIMD16<Float>, SIMD16<Float>) {
                    let p = UnsafeRawPointer(source + r * rowStride + offset), tileRow = 2 * rowStride * MemoryLayout<Float>.stride
                    switch rowsPerVector {
                    case 1:
                        return evenAndOddColumns(p)
                    case 2:
                        let a = p.loadUnaligned(as: SIMD16<Float>.self), b = p.loadUnaligned(fromByteOffset: tileRow, as: SIMD16<Float>.self)
                        return (SIMD16(lowHalf: a.evenHalf, highHalf: b.evenHalf), SIMD16(lowHalf: a.oddHalf, highHalf: b.oddHalf))
                    default:
                        let a = p.loadUnaligned(as: SIMD8<Float>.self), b = p.loadUnaligned(fromByteOffset: tileRow, as: SIMD8<Float>.self)
                        let c = p.loadUnaligned(fromByteOffset: 2 * tileRow, as: SIMD8<Float>.self)
                        let d = p.loadUnaligned(fromByteOffset: 3 * tileRow, as: SIMD8<Float>.self)
                        return (SIMD16(lowHalf: SIMD8(lowHalf: a.evenHalf, highHalf: b.evenHalf), highHalf: SIMD8(lowHalf: c.evenHalf, highHalf: d.evenHalf)),
                                SIMD16(lowHalf: SIMD8(lowHalf: a.oddHalf, highHalf: b.oddHalf), highHalf: SIMD8(lowHalf: c.oddHalf, highHalf: d.oddHalf)))
                    }
                }
                @inline(__always) func patchRow(_ r: Int) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
                    let near = columns(r, 0), far = columns(r, 2)
                    return (near.0, near.1, far.0, far.1)
                }
                let (d0, d1, d2, d3) = (patchRow(0), patchRow(1), patchRow(2), patchRow(3))
                // Bᵀ d (rows) …
                let e0 = (d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3)
                let e1 = (d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3)
                let e2 = (d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3)
                let e3 = (d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3)
                // … then (Bᵀ d) B (columns), stored as V_ξ with ξ = 4·row + column.
                @inline(__always) func store(_ r: Int, _ e: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>)) {
                    let base = UnsafeMutableRawPointer(transformed + (4 * r * g.inChannels + channel) * stride + tile - first)
                    let step = matrixStride * MemoryLayout<Float>.stride
                    base.storeBytes(of: e.0 - e.2, as: SIMD16<Float>.self)
                    base.storeBytes(of: e.1 + e.2, toByteOffset: step, as: SIMD16<Float>.self)
                    base.storeBytes(of: e.2 - e.1, toByteOffset: 2 * step, as: SIMD16<Float>.self)
                    base.storeBytes(of: e.1 - e.3, toByteOffset: 3 * step, as: SIMD16<Float>.self)
                }
                store(0, e0)
                store(1, e1)
                store(2, e2)
                store(3, e3)
                tile += tiles
            }
        }
    }
    if count < columns {
        for row in 0..<16 * g.inChannels {
            (transformed + row * stride + count).update(repeating: 0, count: columns - count)
        }
    }
}

#endif

/// Where eight consecutive tiles lie, worked out once for every channel: side by side in one
/// phase of one tile row (`x` and `y` their first tile's corner), anywhere wholly inside the plane
/// (`offsets` of their corners), or partly outside it.
enum TileGroup {
    case sideBySide(y: Int, x: Int)
    case inside(offsets: (Int, Int, Int, Int, Int, Int, Int, Int))
    case edge
}

/// `V = Bᵀ d B` of tiles `first ..< first + count` of every input channel, eight tiles per vector:
/// `V_ξ[channel][tile]` at `transformed + (ξ · in + channel) · stride + tile − first`, zeros in the
/// columns from `count` to `columns`. Patches reaching past the (padded) input read zeros; only outputs
/// past an odd side, never stored, depend on them.
@inline(__always)
func winogradInputTransform(_ input: UnsafePointer<Float>, into transformed: UnsafeMutablePointer<Float>, stride: Int,
                            geometry g: ConvolutionGeometry, first: Int, count: Int, columns: Int) {
    let tiles = winogradTiles(g)
    let (dh, dw) = (g.dilationHeight, g.dilationWidth)
    var lane0 = 0
    while lane0 < columns {
        let tile = first + lane0
        let (y, x) = tiles.origin(tile), tileColumn = tile % tiles.columns.count
        // Side by side, each patch row is two loads of 16·dw floats (the last lane's patch ends at x + 17·dw).
        let group: TileGroup = lane0 + 8 > count ? .edge
            : dw <= 2 && tiles.columns.sideBySide(tileColumn) && x + 17 * dw < g.inWidth && y + 3 * dh < g.inHeight ? .sideBySide(y: y, x: x)
            : tileOffsets(tile, tiles, reach: 3, height: g.inHeight, width: g.inWidth).map { .inside(offsets: $0) } ?? .edge
        for channel in 0..<g.inChannels {
            let plane = input + channel * g.inPlane
            typealias Patches = (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>,
                                 SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)
            /// `Bᵀ d B` of eight patches (`d.(4r + c)` holds their values at row r, column c), stored as V_ξ
            /// of tiles `lanes ..< lanes + 8`. Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]].
            @inline(__always) func transform(_ d: Patches, lanes: Int) {
                // Bᵀ d (rows) …
                let e0 = (d.0 - d.8, d.1 - d.9, d.2 - d.10, d.3 - d.11)
                let e1 = (d.4 + d.8, d.5 + d.9, d.6 + d.10, d.7 + d.11)
                let e2 = (d.8 - d.4, d.9 - d.5, d.10 - d.6, d.11 - d.7)
                let e3 = (d.4 - d.12, d.5 - d.13, d.6 - d.14, d.7 - d.15)
                // … then (Bᵀ d) B (columns), stored as V_ξ with ξ = 4·row + column.
                func store(_ r: Int, _ e: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>)) {
                    let base = transformed + (4 * r * g.inChannels + channel) * stride + lanes
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
            }
            switch group {
            case .sideBySide(let y, let x):
                // The lanes' columns x, x + dw (even and odd when undilated) from one load, x + 2dw, x + 3dw
                // from the other.
                let top = plane + y * g.inWidth + x
                @inline(__always) func row(_ r: Int) -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
                    let p = UnsafeRawPointer(top + r * dh * g.inWidth)
                    if dw == 1 {
                        let left = p.loadUnaligned(as: SIMD16<Float>.self), right = p.loadUnaligned(fromByteOffset: 8, as: SIMD16<Float>.self)
                        return (left.evenHalf, left.oddHalf, right.evenHalf, right.oddHalf)
                    }
                    let left = p.loadUnaligned(as: SIMD32<Float>.self).evenHalf, right = p.loadUnaligned(fromByteOffset: 12, as: SIMD32<Float>.self).oddHalf
                    return (left.evenHalf, left.oddHalf, right.evenHalf, right.oddHalf)
                }
                let (a, b, c, d) = (row(0), row(1), row(2), row(3))
                transform((a.0, a.1, a.2, a.3, b.0, b.1, b.2, b.3, c.0, c.1, c.2, c.3, d.0, d.1, d.2, d.3), lanes: lane0)
            case .inside(let o):
                // One load per lane and value.
                @inline(__always) func at(_ r: Int, _ c: Int) -> SIMD8<Float> {
                    let p = plane + r * dh * g.inWidth + c * dw
                    return SIMD8(p[o.0], p[o.1], p[o.2], p[o.3], p[o.4], p[o.5], p[o.6], p[o.7])
                }
                transform((at(0, 0), at(0, 1), at(0, 2), at(0, 3), at(1, 0), at(1, 1), at(1, 2), at(1, 3),
                           at(2, 0), at(2, 1), at(2, 2), at(2, 3), at(3, 0), at(3, 1), at(3, 2), at(3, 3)), lanes: lane0)
            case .edge:
                // Filled through memory, in a value of its own so that the other paths' stay in registers.
                var patches = Patches(SIMD8(), SIMD8(), SIMD8(), SIMD8(), SIMD8(), SIMD8(), SIMD8(), SIMD8(),
                                      SIMD8(), SIMD8(), SIMD8(), SIMD8(), SIMD8(), SIMD8(), SIMD8(), SIMD8())
                withUnsafeMutableBytes(of: &patches) { raw in
                    let patch = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                    for lane in 0..<max(0, min(8, count - lane0)) {
                        let (y0, x0) = tiles.origin(tile + lane)
                        for r in 0..<4 where y0 + r * dh < g.inHeight {
                            for c in 0..<4 where x0 + c * dw < g.inWidth {
                                patch[(r * 4 + c) * 8 + lane] = plane[(y0 + r * dh) * g.inWidth + x0 + c * dw]
                            }
                        }
                    }
                }
                transform(patches, lanes: lane0)
            }
        }
        lane0 += 8
    }
}

/// `Y = Aᵀ M A` of tiles `first ..< first + count` of output `channels` (channel c's `M_ξ` at
/// `products + ξ · stride + c · block`), plus the bias and the residual, through the activation,
/// stored where each tile's outputs lie inside the output. Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].
@inline(__always)
func winogradOutputTransform(_ products: UnsafeMutablePointer<Float>, stride: Int, geometry g: ConvolutionGeometry, first: Int, count: Int,
                             channels: Range<Int>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
                             output: UnsafeMutablePointer<Float>, activation: some ActivationKernel) {
    let tiles = winogradTiles(g)
    let block = winogradTileBlock(g)
    let (dh, dw) = (g.dilationHeight, g.dilationWidth)
    var lane0 = 0
    while lane0 < count {
        let tile = first + lane0
        let (y, x) = tiles.origin(tile), tileColumn = tile % tiles.columns.count
        // Side by side (undilated columns), each output row is one store of 16 interleaved columns.
        let group: TileGroup = lane0 + 8 > count ? .edge
            : dw == 1 && tiles.columns.sideBySide(tileColumn) && x + 16 <= g.outWidth && y + dh < g.outHeight ? .sideBySide(y: y, x: x)
            : tileOffsets(tile, tiles, reach: 1, height: g.outHeight, width: g.outWidth).map { .inside(offsets: $0) } ?? .edge
        for channel in channels {
            let planeResidual = residual.map { $0 + channel * g.outPlane }, plane = output + channel * g.outPlane
            let shift = SIMD8<Float>(repeating: bias?[channel] ?? 0)
            func m(_ xi: Int) -> SIMD8<Float> { products.loadVector(at: xi * stride + channel * block + lane0) }
            // Aᵀ M (rows) …
            let s0 = (m(0) + m(4) + m(8), m(1) + m(5) + m(9), m(2) + m(6) + m(10), m(3) + m(7) + m(11))
            let s1 = (m(4) - m(8) - m(12), m(5) - m(9) - m(13), m(6) - m(10) - m(14), m(7) - m(11) - m(15))
            // … then (Aᵀ M) A (columns), plus the bias.
            var y00 = s0.0 + s0.1 + s0.2 + shift, y01 = s0.1 - s0.2 - s0.3 + shift
            var y10 = s1.0 + s1.1 + s1.2 + shift, y11 = s1.1 - s1.2 - s1.3 + shift
            switch group {
            case .sideBySide(let y, let x):
                let top = y * g.outWidth + x, below = top + dh * g.outWidth
                if let planeResidual {
                    let upper = UnsafeRawPointer(planeResidual + top).loadUnaligned(as: SIMD16<Float>.self)
                    let lower = UnsafeRawPointer(planeResidual + below).loadUnaligned(as: SIMD16<Float>.self)
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
                UnsafeMutableRawPointer(plane + top).storeBytes(of: upper, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(plane + below).storeBytes(of: lower, as: SIMD16<Float>.self)
            case .inside(let o):
                // One store per lane and value, copied from the products just read: scattered straight from
                // the vectors, LLVM computed the activation lane by lane (SiLU 3× slower).
                let results = products + channel * block + lane0
                @inline(__always) func finish(_ sum: SIMD8<Float>, _ r: Int, _ c: Int) {
                    var sum = sum
                    if let planeResidual {
                        let p = planeResidual + r * dh * g.outWidth + c * dw
                        sum += SIMD8(p[o.0], p[o.1], p[o.2], p[o.3], p[o.4], p[o.5], p[o.6], p[o.7])
                    }
                    results.storeVector(activation.apply(sum), at: (2 * r + c) * stride)
                }
                finish(y00, 0, 0)
                finish(y01, 0, 1)
                finish(y10, 1, 0)
                finish(y11, 1, 1)
                for r in 0..<2 {
                    for c in 0..<2 {
                        let p = plane + r * dh * g.outWidth + c * dw, value = results + (2 * r + c) * stride
                        (p[o.0], p[o.1], p[o.2], p[o.3], p[o.4], p[o.5], p[o.6], p[o.7]) =
                            (value[0], value[1], value[2], value[3], value[4], value[5], value[6], value[7])
                    }
                }
            case .edge:
                let lanes = min(8, count - lane0)
                var values = (y00, y01, y10, y11)
                withUnsafeMutableBytes(of: &values) { raw in
                    let sums = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                    func outputs(_ lane: Int, _ body: (_ value: Int, _ index: Int) -> Void) {
                        let (y0, x0) = tiles.origin(tile + lane)
                        for r in 0..<2 where y0 + r * dh < g.outHeight {
                            for c in 0..<2 where x0 + c * dw < g.outWidth { body((r * 2 + c) * 8 + lane, (y0 + r * dh) * g.outWidth + x0 + c * dw) }
                        }
                    }
                    if let planeResidual {
                        for lane in 0..<lanes { outputs(lane) { sums[$0] += planeResidual[$1] } }
                    }
                    for vector in 0..<4 {
                        (sums + 8 * vector).storeVector(activation.apply((sums + 8 * vector).loadVector(at: 0)), at: 0)
                    }
                    for lane in 0..<lanes { outputs(lane) { plane[$1] = sums[$0] } }
                }
            }
        }
        lane0 += 8
    }
}

/// The offsets of the first corners of tiles `first ..< first + 8` in a `height`×`width` plane, or nil
/// unless each tile's last row and column, `reach` rows and columns of its phase further (3 in the
/// input, 1 in the output), lie inside the plane.
@inline(__always)
func tileOffsets(_ first: Int, _ tiles: WinogradTiles, reach: Int, height: Int, width: Int)
    -> (Int, Int, Int, Int, Int, Int, Int, Int)? {
    var inside = true
    func offset(_ lane: Int) -> Int {
        let (y, x) = tiles.origin(first + lane)
        inside = inside && y + reach * tiles.rows.dilation < height && x + reach * tiles.columns.dilation < width
        return y * width + x
    }
    let offsets = (offset(0), offset(1), offset(2), offset(3), offset(4), offset(5), offset(6), offset(7))
    return inside ? offsets : nil
}
