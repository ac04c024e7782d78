/// The fixed shape of one convolution. Generated code passes it as literal constants into the
/// always-inlined kernels below, so every loop bound is a compile-time constant after inlining.
package struct ConvolutionGeometry: Hashable, Sendable {
    package var inChannels: Int, outChannels: Int, groups: Int
    /// Sides of the input the kernel reads: already padded when the layer pads.
    package var inHeight: Int, inWidth: Int
    package var outHeight: Int, outWidth: Int
    package var kernelHeight: Int, kernelWidth: Int
    package var strideHeight: Int, strideWidth: Int
    package var dilationHeight: Int, dilationWidth: Int

    package init(inChannels: Int, outChannels: Int, groups: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int) {
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
    }

    package var inChannelsPerGroup: Int { inChannels / groups }
    package var outChannelsPerGroup: Int { outChannels / groups }
    /// Terms of each output's sum: `in/groups · kh · kw`.
    package var reduction: Int { inChannelsPerGroup * kernelHeight * kernelWidth }
    package var outPlane: Int { outHeight * outWidth }
    package var inPlane: Int { inHeight * inWidth }
    /// A 1×1 convolution with stride 1 reads its input as a ready-made matrix.
    package var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1 && inHeight == outHeight && inWidth == outWidth
    }
}

// MARK: Direct convolution

/// A convolution computed output row by output row, vectorised along the row: best when each output
/// sums few terms (depthwise and image filters), where building a matrix for GEMM would cost more than
/// the arithmetic. Weights in PyTorch layout `[out, in/groups, kh, kw]`.
///
/// Each output adds its terms in the reference order — input channel, kernel row, kernel column —
/// then the bias, then the activation.
@inline(__always)
package func convolveDirect(_ input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                           output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry, activation: ActivationFunction) {
    let perGroupIn = g.inChannelsPerGroup
    let perGroupOut = g.outChannelsPerGroup
    for outChannel in 0..<g.outChannels {
        let group = outChannel / perGroupOut
        let filter = weights + outChannel * g.reduction
        let shift = bias?[outChannel] ?? 0
        for y in 0..<g.outHeight {
            let row = output + outChannel * g.outPlane + y * g.outWidth
            row.update(repeating: 0, count: g.outWidth)
            for groupChannel in 0..<perGroupIn {
                let plane = input + (group * perGroupIn + groupChannel) * g.inPlane
                for ky in 0..<g.kernelHeight {
                    let sourceRow = plane + (y * g.strideHeight + ky * g.dilationHeight) * g.inWidth
                    for kx in 0..<g.kernelWidth {
                        let tap = filter[(groupChannel * g.kernelHeight + ky) * g.kernelWidth + kx]
                        let source = sourceRow + kx * g.dilationWidth
                        if g.strideWidth == 1 {
                            let tapVector = SIMD8<Float>(repeating: tap)
                            var x = 0
                            while x + 8 <= g.outWidth {
                                row.storeVector(row.loadVector(at: x).addingProduct(tapVector, source.loadVector(at: x)), at: x)
                                x += 8
                            }
                            while x < g.outWidth {
                                row[x] = row[x].addingProduct(tap, source[x])
                                x += 1
                            }
                        } else {
                            for x in 0..<g.outWidth {
                                row[x] = row[x].addingProduct(tap, source[x * g.strideWidth])
                            }
                        }
                    }
                }
            }
            var x = 0
            let shiftVector = SIMD8<Float>(repeating: shift)
            while x + 8 <= g.outWidth {
                row.storeVector(activation.apply(row.loadVector(at: x) + shiftVector), at: x)
                x += 8
            }
            while x < g.outWidth {
                row[x] = activation.apply(row[x] + shift)
                x += 1
            }
        }
    }
}

// MARK: Convolution as matrix multiplication

/// Rows of output channels per register block of the GEMM micro-kernel.
package let gemmRowBlock = 4
/// Columns (output pixels) per register block: two 8-float vectors.
package let gemmColumnBlock = 16

/// Output pixels whose input columns are gathered at once: the gathered block of
/// `reduction × gemmPixelBlock` floats stays in the L2 cache for every channel block that reads it.
package func gemmPixelBlock(reduction: Int) -> Int {
    let budget = 128 * 1024 / 4  // floats in half of a 256 KiB-or-larger L2
    let columns = max(gemmColumnBlock, min(512, budget / max(1, reduction)))
    return columns / gemmColumnBlock * gemmColumnBlock
}

/// Floats of scratch `convolveGEMM` needs for the gathered input block.
package func gemmScratchCount(_ g: ConvolutionGeometry) -> Int {
    g.reduction * gemmPixelBlock(reduction: g.reduction)
}

/// Floats of the packed weights of one convolution (`packForGEMM`).
package func gemmPackedCount(_ g: ConvolutionGeometry) -> Int {
    g.groups * roundUp(g.outChannelsPerGroup, to: gemmRowBlock) * g.reduction
}

@inline(__always)
func roundUp(_ value: Int, to multiple: Int) -> Int {
    (value + multiple - 1) / multiple * multiple
}

/// Reorders `[out, in/groups, kh, kw]` weights into panels of `gemmRowBlock` output channels, each
/// `[reduction][gemmRowBlock]`, zero-filled past the last channel; done once, when code is generated.
package func packForGEMM(_ weights: [Float], geometry g: ConvolutionGeometry) -> [Float] {
    let rows = g.outChannelsPerGroup
    let panels = roundUp(rows, to: gemmRowBlock) / gemmRowBlock
    var packed = [Float](repeating: 0, count: gemmPackedCount(g))
    for group in 0..<g.groups {
        for panel in 0..<panels {
            for k in 0..<g.reduction {
                for lane in 0..<gemmRowBlock {
                    let row = panel * gemmRowBlock + lane
                    guard row < rows else { continue }
                    let target = ((group * panels + panel) * g.reduction + k) * gemmRowBlock + lane
                    packed[target] = weights[(group * rows + row) * g.reduction + k]
                }
            }
        }
    }
    return packed
}

/// A convolution as `out[m, p] = Σₖ W[m, k] · X[k, p]` per group, where X gathers the input pixels each
/// output pixel reads (im2col), one block of pixels at a time into `scratch`. A 1×1 stride-1
/// convolution reads its input as X directly. Weights come packed by `packForGEMM`.
///
/// Every output sums k in ascending order — input channel, kernel row, kernel column — then adds the
/// bias and applies the activation.
@inline(__always)
package func convolveGEMM(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry, activation: ActivationFunction,
                         scratch: UnsafeMutablePointer<Float>) {
    let pixels = g.outPlane
    let rows = g.outChannelsPerGroup
    let panels = roundUp(rows, to: gemmRowBlock) / gemmRowBlock
    let reduction = g.reduction
    let block = gemmPixelBlock(reduction: reduction)
    for group in 0..<g.groups {
        let groupInput = input + group * g.inChannelsPerGroup * g.inPlane
        var start = 0
        while start < pixels {
            let count = min(block, pixels - start)
            let columns: UnsafePointer<Float>
            let stride: Int
            if g.isPointwise && count % gemmColumnBlock == 0 {
                columns = groupInput + start
                stride = pixels
            } else {
                gatherColumns(groupInput, into: scratch, geometry: g, start: start, count: count)
                columns = UnsafePointer(scratch)
                stride = roundUp(count, to: gemmColumnBlock)
            }
            for panel in 0..<panels {
                let firstRow = panel * gemmRowBlock
                let weights = packedWeights + (group * panels + panel) * reduction * gemmRowBlock
                let outputRow = group * rows + firstRow
                var column = 0
                while column < count {
                    multiplyBlock(weights, columns + column, stride: stride, reduction: reduction,
                                  output: output + outputRow * pixels + start + column, outputStride: pixels,
                                  rows: min(gemmRowBlock, rows - firstRow), columns: min(gemmColumnBlock, count - column),
                                  bias: bias.map { $0 + outputRow }, activation: activation)
                    column += gemmColumnBlock
                }
            }
            start += count
        }
    }
}

/// X[k, j] for output pixels `start ..< start + count`, rows padded to a multiple of 16 with zeros.
@inline(__always)
func gatherColumns(_ input: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                   start: Int, count: Int) {
    let stride = roundUp(count, to: gemmColumnBlock)
    var k = 0
    for channel in 0..<g.inChannelsPerGroup {
        let plane = input + channel * g.inPlane
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                let row = columns + k * stride
                var j = 0
                var y = start / g.outWidth
                var x = start % g.outWidth
                while j < count {
                    let run = min(g.outWidth - x, count - j)
                    let source = plane + (y * g.strideHeight + ky * g.dilationHeight) * g.inWidth + x * g.strideWidth + kx * g.dilationWidth
                    if g.strideWidth == 1 {
                        (row + j).update(from: source, count: run)
                    } else {
                        for offset in 0..<run { row[j + offset] = source[offset * g.strideWidth] }
                    }
                    j += run
                    x = 0
                    y += 1
                }
                (row + count).update(repeating: 0, count: stride - count)
                k += 1
            }
        }
    }
}

/// The register block: up to 4 output channels × 16 pixels, summed over the whole reduction in eight
/// vector accumulators, then bias and activation on the way out.
@inline(__always)
func multiplyBlock(_ weights: UnsafePointer<Float>, _ columns: UnsafePointer<Float>, stride: Int, reduction: Int,
                   output: UnsafeMutablePointer<Float>, outputStride: Int, rows: Int, columns count: Int,
                   bias: UnsafePointer<Float>?, activation: ActivationFunction) {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
    var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
    var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var a = weights
    var b = columns
    for _ in 0..<reduction {
        let b0 = b.loadVector(at: 0)
        let b1 = b.loadVector(at: 8)
        let a0 = SIMD8<Float>(repeating: a[0])
        let a1 = SIMD8<Float>(repeating: a[1])
        let a2 = SIMD8<Float>(repeating: a[2])
        let a3 = SIMD8<Float>(repeating: a[3])
        c00.addProduct(a0, b0)
        c01.addProduct(a0, b1)
        c10.addProduct(a1, b0)
        c11.addProduct(a1, b1)
        c20.addProduct(a2, b0)
        c21.addProduct(a2, b1)
        c30.addProduct(a3, b0)
        c31.addProduct(a3, b1)
        a += gemmRowBlock
        b += stride
    }
    @inline(__always)
    func store(_ row: Int, _ low: SIMD8<Float>, _ high: SIMD8<Float>) {
        let shift = SIMD8<Float>(repeating: bias?[row] ?? 0)
        let destination = output + row * outputStride
        let first = activation.apply(low + shift)
        let second = activation.apply(high + shift)
        if count == gemmColumnBlock {
            destination.storeVector(first, at: 0)
            destination.storeVector(second, at: 8)
        } else {
            for lane in 0..<min(count, 8) { destination[lane] = first[lane] }
            for lane in 8..<max(8, count) { destination[lane] = second[lane - 8] }
        }
    }
    store(0, c00, c01)
    if rows > 1 { store(1, c10, c11) }
    if rows > 2 { store(2, c20, c21) }
    if rows > 3 { store(3, c30, c31) }
}
