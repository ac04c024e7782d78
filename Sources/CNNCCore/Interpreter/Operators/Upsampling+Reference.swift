extension Upsampling: ReferenceSemantics {
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        let input = inputs[0]
        let shape = layer.output
        var out = [Float](repeating: 0, count: shape.count)
        switch mode {
        case .nearest:
            for channel in 0..<shape.channels {
                for y in 0..<shape.height {
                    for x in 0..<shape.width {
                        out[(channel * shape.height + y) * shape.width + x] = input[channel, y / scale.height, x / scale.width]
                    }
                }
            }
        case .bilinear:
            // PyTorch's align_corners=False: source (x + ½)/scale − ½, negative positions clamped to 0;
            // the second neighbour is the first one again at the last row or column.
            func neighbours(_ position: Int, scale: Int, size: Int) -> (first: Int, second: Int, fraction: Float) {
                let source = max(0, (Float(position) + 0.5) / Float(scale) - 0.5)
                let first = min(Int(source), size - 1)
                let second = min(first + 1, size - 1)
                return (first, second, source - Float(first))
            }
            for channel in 0..<shape.channels {
                for y in 0..<shape.height {
                    let (y0, y1, fy) = neighbours(y, scale: scale.height, size: input.shape.height)
                    for x in 0..<shape.width {
                        let (x0, x1, fx) = neighbours(x, scale: scale.width, size: input.shape.width)
                        let top = (1 - fx) * input[channel, y0, x0] + fx * input[channel, y0, x1]
                        let bottom = (1 - fx) * input[channel, y1, x0] + fx * input[channel, y1, x1]
                        out[(channel * shape.height + y) * shape.width + x] = (1 - fy) * top + fy * bottom
                    }
                }
            }
        }
        return out
    }
}
