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
    for channel in 0..<channels {
        let plane = input + channel * inHeight * inWidth
        let outPlane = output + channel * outHeight * outWidth
        for y in 0..<outHeight {
            let (y0, y1, fy) = bilinearNeighbours(y, scale: scaleHeight, size: inHeight)
            let top = plane + y0 * inWidth, bottom = plane + y1 * inWidth
            for x in 0..<outWidth {
                let (x0, x1, fx) = bilinearNeighbours(x, scale: scaleWidth, size: inWidth)
                let upper = (1 - fx) * top[x0] + fx * top[x1]
                let lower = (1 - fx) * bottom[x0] + fx * bottom[x1]
                outPlane[y * outWidth + x] = (1 - fy) * upper + fy * lower
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
