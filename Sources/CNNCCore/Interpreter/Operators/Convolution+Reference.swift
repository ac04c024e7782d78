extension Convolution: ReferenceSemantics {
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        let input = inputs[0]
        let shape = layer.output
        let weight = parameters[.weight]!
        let bias = parameters[.bias]
        let kernel = window.kernel
        let mode = paddingMode
        // For every output row (column) and kernel tap, the input row (column) it reads, or nil where it
        // reads the constant padding. Computing these once keeps the padding rules out of the sums.
        func sources(outputs: Int, taps: Int, stride: Int, dilation: Int, padBefore: Int, size: Int) -> [[Int?]] {
            (0..<outputs).map { position in
                (0..<taps).map { tap in
                    let index = position * stride + tap * dilation - padBefore
                    switch mode {
                    case .zeros, .constant: return (0..<size).contains(index) ? index : nil
                    case .reflect, .replicate, .circular: return Tensor3.source(index, size, mode)
                    }
                }
            }
        }
        let rowSources = sources(outputs: shape.height, taps: kernel.height, stride: window.stride.height,
                                 dilation: window.dilation.height, padBefore: window.padding.top, size: input.shape.height)
        let columnSources = sources(outputs: shape.width, taps: kernel.width, stride: window.stride.width,
                                    dilation: window.dilation.width, padBefore: window.padding.left, size: input.shape.width)
        let padValue: Float = if case .constant(let value) = mode { value } else { 0 }
        let planeSize = shape.height * shape.width
        var out = [Float](repeating: 0, count: shape.count)
        // Every output element adds its terms in the documented order (channel, kernel row, kernel
        // column), so looping over the taps outside the pixels changes no rounding.
        out.withUnsafeMutableBufferPointer { out in
            input.values.withUnsafeBufferPointer { pixels in
                for outChannel in 0..<outChannels {
                    let group = outChannel / outChannelsPerGroup
                    let plane = out.baseAddress! + outChannel * planeSize
                    for groupChannel in 0..<inChannelsPerGroup {
                        let inPlane = pixels.baseAddress! + (group * inChannelsPerGroup + groupChannel) * input.shape.height * input.shape.width
                        for ky in 0..<kernel.height {
                            for kx in 0..<kernel.width {
                                let tap = weight[((outChannel * inChannelsPerGroup + groupChannel) * kernel.height + ky) * kernel.width + kx]
                                for y in 0..<shape.height {
                                    let row = rowSources[y][ky]
                                    for x in 0..<shape.width {
                                        let value: Float
                                        if let row, let column = columnSources[x][kx] {
                                            value = inPlane[row * input.shape.width + column]
                                        } else {
                                            value = padValue
                                        }
                                        plane[y * shape.width + x] = plane[y * shape.width + x].addingProduct(tap, value)
                                    }
                                }
                            }
                        }
                    }
                    if let bias {
                        for index in 0..<planeSize { plane[index] += bias[outChannel] }
                    }
                }
            }
        }
        return out
    }
}
