/// Nearest-neighbour upsampling by whole factors: output `(y, x)` copies input `(⌊y / scaleHeight⌋, ⌊x / scaleWidth⌋)`.
/// Parts split the channels.
@inline(__always)
package func upsampleNearest(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, inHeight: Int,
                             inWidth: Int, scaleHeight: Int, scaleWidth: Int, share: WorkShare = .whole) {
    let outWidth = inWidth * scaleWidth
    let range = share.range(channels)
    var destination = output + range.lowerBound * inHeight * scaleHeight * outWidth
    for channel in range {
        let plane = input + channel * inHeight * inWidth
        for row in 0..<inHeight {
            let source = plane + row * inWidth
            let first = destination
            for column in 0..<inWidth {
                let value = source[column]
                for copy in 0..<scaleWidth { first[column * scaleWidth + copy] = value }
            }
            destination += outWidth
            for _ in 1..<max(1, scaleHeight) {
                destination.update(from: first, count: outWidth)
                destination += outWidth
            }
        }
    }
}

/// Bilinear upsampling with half-pixel centres (PyTorch's `align_corners=False`): source position
/// `(x + ½) / scale − ½` clamped to [0, size − 1]; the same arithmetic as the reference interpreter:
/// `(1 − fy) · upper + fy · lower`, where `upper` and `lower` interpolate the two input rows
/// horizontally. Those horizontal values depend only on the input row, so each row's are computed
/// once (64 columns at a time) and serve every output row that reads it; the vertical step then runs
/// eight columns at a time. Parts split the channels.
@inline(__always)
package func upsampleBilinear(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, inHeight: Int,
                              inWidth: Int, scaleHeight: Int, scaleWidth: Int, share: WorkShare = .whole) {
    let outHeight = inHeight * scaleHeight, outWidth = inWidth * scaleWidth
    // The columns' neighbours, and two input rows interpolated horizontally, 64 columns at a time.
    var firsts = (SIMD16<Int32>(), SIMD16<Int32>(), SIMD16<Int32>(), SIMD16<Int32>())
    var seconds = firsts
    var fractions = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    var rows = (fractions, fractions)
    withUnsafeMutableBytes(of: &firsts) { firstBytes in
        withUnsafeMutableBytes(of: &seconds) { secondBytes in
            withUnsafeMutableBytes(of: &fractions) { fractionBytes in
                withUnsafeMutableBytes(of: &rows) { rowBytes in
                    let x0 = firstBytes.baseAddress!.assumingMemoryBound(to: Int32.self)
                    let x1 = secondBytes.baseAddress!.assumingMemoryBound(to: Int32.self)
                    let fx = fractionBytes.baseAddress!.assumingMemoryBound(to: Float.self)
                    let interpolated = rowBytes.baseAddress!.assumingMemoryBound(to: Float.self)
                    var start = 0
                    while start < outWidth {
                        let count = min(64, outWidth - start)
                        for x in 0..<count {
                            let (first, second, fraction) = bilinearNeighbours(start + x, scale: scaleWidth, size: inWidth)
                            (x0[x], x1[x], fx[x]) = (Int32(first), Int32(second), fraction)
                        }
                        /// Input row `row` interpolated horizontally into `destination`.
                        func interpolate(_ row: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>) {
                            for x in 0..<count {
                                let (first, second, fraction) = (Int(x0[x]), Int(x1[x]), fx[x])
                                destination[x] = (1 - fraction) * row[first] + fraction * row[second]
                            }
                        }
                        for channel in share.range(channels) {
                            let plane = input + channel * inHeight * inWidth
                            let outPlane = output + channel * outHeight * outWidth + start
                            // The interpolated upper and lower rows, and which input rows they hold.
                            var (upper, lower) = (interpolated, interpolated + 64)
                            var held = (-1, -1)
                            for y in 0..<outHeight {
                                let (y0, y1, fy) = bilinearNeighbours(y, scale: scaleHeight, size: inHeight)
                                // The rows move down: the new upper row is usually the lower one before.
                                if held.0 != y0 && held.1 == y0 { (upper, lower, held) = (lower, upper, (held.1, held.0)) }
                                if held.0 != y0 { interpolate(plane + y0 * inWidth, into: upper); held.0 = y0 }
                                if held.1 != y1 { interpolate(plane + y1 * inWidth, into: lower); held.1 = y1 }
                                let destination = outPlane + y * outWidth
                                let keep = SIMD8(repeating: 1 - fy), take = SIMD8(repeating: fy)
                                var x = 0
                                while x + 8 <= count {
                                    destination.storeVector(keep * upper.loadVector(at: x) + take * lower.loadVector(at: x), at: x)
                                    x += 8
                                }
                                while x < count {
                                    destination[x] = (1 - fy) * upper[x] + fy * lower[x]
                                    x += 1
                                }
                            }
                        }
                        start += count
                    }
                }
            }
        }
    }
}

/// The two input positions around output `position` and the weight of the second.
@inline(__always)
package func bilinearNeighbours(_ position: Int, scale: Int, size: Int) -> (first: Int, second: Int, fraction: Float) {
    let source = max(0, (Float(position) + 0.5) / Float(scale) - 0.5)
    let first = min(Int(source), size - 1)
    return (first, min(first + 1, size - 1), source - Float(first))
}
