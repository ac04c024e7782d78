/// Nearest-neighbour upsampling by whole factors: output `(y, x)` copies input `(⌊y / scaleHeight⌋, ⌊x / scaleWidth⌋)`.
@inline(__always)
package func upsampleNearest(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, inHeight: Int,
                             inWidth: Int, scaleHeight: Int, scaleWidth: Int) {
    let outWidth = inWidth * scaleWidth
    var destination = output
    for channel in 0..<channels {
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
/// `(x + ½) / scale − ½` clamped to [0, size − 1]; the same arithmetic as the reference interpreter.
@inline(__always)
package func upsampleBilinear(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, inHeight: Int,
                              inWidth: Int, scaleHeight: Int, scaleWidth: Int) {
    let outHeight = inHeight * scaleHeight, outWidth = inWidth * scaleWidth
    // The columns' neighbours, 64 columns at a time, computed once for every channel and row of them.
    var firsts = (SIMD16<Int32>(), SIMD16<Int32>(), SIMD16<Int32>(), SIMD16<Int32>())
    var seconds = firsts
    var fractions = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    withUnsafeMutableBytes(of: &firsts) { firstBytes in
        withUnsafeMutableBytes(of: &seconds) { secondBytes in
            withUnsafeMutableBytes(of: &fractions) { fractionBytes in
                let x0 = firstBytes.baseAddress!.assumingMemoryBound(to: Int32.self)
                let x1 = secondBytes.baseAddress!.assumingMemoryBound(to: Int32.self)
                let fx = fractionBytes.baseAddress!.assumingMemoryBound(to: Float.self)
                var start = 0
                while start < outWidth {
                    let count = min(64, outWidth - start)
                    for x in 0..<count {
                        let (first, second, fraction) = bilinearNeighbours(start + x, scale: scaleWidth, size: inWidth)
                        (x0[x], x1[x], fx[x]) = (Int32(first), Int32(second), fraction)
                    }
                    for channel in 0..<channels {
                        let plane = input + channel * inHeight * inWidth
                        let outPlane = output + channel * outHeight * outWidth + start
                        for y in 0..<outHeight {
                            let (y0, y1, fy) = bilinearNeighbours(y, scale: scaleHeight, size: inHeight)
                            let top = plane + y0 * inWidth, bottom = plane + y1 * inWidth
                            for x in 0..<count {
                                let (first, second, fraction) = (Int(x0[x]), Int(x1[x]), fx[x])
                                let upper = (1 - fraction) * top[first] + fraction * top[second]
                                let lower = (1 - fraction) * bottom[first] + fraction * bottom[second]
                                outPlane[y * outWidth + x] = (1 - fy) * upper + fy * lower
                            }
                        }
                    }
                    start += count
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
