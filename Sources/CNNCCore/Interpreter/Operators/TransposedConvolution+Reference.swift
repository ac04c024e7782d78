extension TransposedConvolution: ReferenceSemantics {
    /// Written as a gather: each output sums, in the documented order, the taps whose input position
    /// `(o + pad − k·dilation) / stride` is a whole number inside the input.
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        let input = inputs[0]
        let shape = layer.output
        let weight = parameters[.weight]!
        let bias = parameters[.bias]
        // For every output row (column), the (tap, input row) pairs that reach it, taps ascending.
        func reaching(outputs: Int, taps: Int, stride: Int, dilation: Int, padBefore: Int, size: Int) -> [[(tap: Int, source: Int)]] {
            (0..<outputs).map { position in
                (0..<taps).compactMap { tap in
                    let offset = position + padBefore - tap * dilation
                    guard offset >= 0, offset % stride == 0, offset / stride < size else { return nil }
                    return (tap, offset / stride)
                }
            }
        }
        let rows = reaching(outputs: shape.height, taps: kernel.height, stride: stride.height, dilation: dilation.height,
                            padBefore: padding.top, size: input.shape.height)
        let columns = reaching(outputs: shape.width, taps: kernel.width, stride: stride.width, dilation: dilation.width,
                               padBefore: padding.left, size: input.shape.width)
        var out = [Float](repeating: 0, count: shape.count)
        for outChannel in 0..<outChannels {
            let group = outChannel / outChannelsPerGroup
            let withinGroup = outChannel % outChannelsPerGroup
            for y in 0..<shape.height {
                for x in 0..<shape.width {
                    var sum: Float = 0
                    for groupChannel in 0..<inChannelsPerGroup {
                        let channel = group * inChannelsPerGroup + groupChannel
                        for (ky, row) in rows[y] {
                            for (kx, column) in columns[x] {
                                let tap = weight[((channel * outChannelsPerGroup + withinGroup) * kernel.height + ky) * kernel.width + kx]
                                sum = sum.addingProduct(tap, input[channel, row, column])
                            }
                        }
                    }
                    out[(outChannel * shape.height + y) * shape.width + x] = sum + (bias?[outChannel] ?? 0)
                }
            }
        }
        return out
    }
}
