/// The fixed shape of one pooling layer; padding is implicit (windows are clipped to the input).
package struct PoolingGeometry: Hashable, Sendable {
    package var channels: Int
    package var inHeight: Int, inWidth: Int
    package var outHeight: Int, outWidth: Int
    package var kernelHeight: Int, kernelWidth: Int
    package var strideHeight: Int, strideWidth: Int
    package var margins: Margins

    package init(channels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int, strideWidth: Int, margins: Margins) {
        self.channels = channels
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.outHeight = outHeight
        self.outWidth = outWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.margins = margins
    }

    /// The input rows (or columns) of window `index` that lie inside the input, and how many lie inside
    /// the input plus its stated padding (the ceil-mode overhang beyond it never counts).
    @inline(__always)
    func span(_ index: Int, stride: Int, kernel: Int, before: Int, after: Int, size: Int) -> (lower: Int, upper: Int, padded: Int) {
        let start = index * stride - before
        let end = min(start + kernel, size + after)
        return (max(start, 0), min(end, size), end - start)
    }
}

/// Max pooling; padding never wins, since only positions inside the input are compared.
@inline(__always)
package func maxPool(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, geometry g: PoolingGeometry) {
    for channel in 0..<g.channels {
        let plane = input + channel * g.inHeight * g.inWidth
        let outPlane = output + channel * g.outHeight * g.outWidth
        for y in 0..<g.outHeight {
            let rows = g.span(y, stride: g.strideHeight, kernel: g.kernelHeight, before: g.margins.top, after: g.margins.bottom, size: g.inHeight)
            for x in 0..<g.outWidth {
                let columns = g.span(x, stride: g.strideWidth, kernel: g.kernelWidth, before: g.margins.left, after: g.margins.right, size: g.inWidth)
                var largest = -Float.infinity
                for row in rows.lower..<rows.upper {
                    for column in columns.lower..<columns.upper {
                        largest = max(largest, plane[row * g.inWidth + column])
                    }
                }
                outPlane[y * g.outWidth + x] = largest
            }
        }
    }
}

/// Average pooling: the window's sum, row by row, divided by the positions inside the input — or, with
/// `countIncludePad`, inside the input plus its stated padding.
@inline(__always)
package func averagePool(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, geometry g: PoolingGeometry,
                        countIncludePad: Bool) {
    for channel in 0..<g.channels {
        let plane = input + channel * g.inHeight * g.inWidth
        let outPlane = output + channel * g.outHeight * g.outWidth
        for y in 0..<g.outHeight {
            let rows = g.span(y, stride: g.strideHeight, kernel: g.kernelHeight, before: g.margins.top, after: g.margins.bottom, size: g.inHeight)
            for x in 0..<g.outWidth {
                let columns = g.span(x, stride: g.strideWidth, kernel: g.kernelWidth, before: g.margins.left, after: g.margins.right, size: g.inWidth)
                var sum: Float = 0
                for row in rows.lower..<rows.upper {
                    for column in columns.lower..<columns.upper {
                        sum += plane[row * g.inWidth + column]
                    }
                }
                let inside = (rows.upper - rows.lower) * (columns.upper - columns.lower)
                outPlane[y * g.outWidth + x] = sum / Float(countIncludePad ? rows.padded * columns.padded : inside)
            }
        }
    }
}

/// C×H×W → C: the mean of each plane, summed in order.
@inline(__always)
package func globalAveragePool(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, plane: Int) {
    for channel in 0..<channels {
        var sum: Float = 0
        for index in 0..<plane { sum += input[channel * plane + index] }
        output[channel] = sum / Float(plane)
    }
}

/// C×H×W → C: the maximum of each plane.
@inline(__always)
package func globalMaxPool(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, plane: Int) {
    for channel in 0..<channels {
        var largest = -Float.infinity
        for index in 0..<plane { largest = max(largest, input[channel * plane + index]) }
        output[channel] = largest
    }
}
