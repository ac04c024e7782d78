import CNNCRuntime

extension Pooling: ReferenceSemantics {
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        switch reduction {
        case .max:
            pool(inputs[0], output: layer.output) { values, _ in values.max()! }
        case .average(let countIncludePad):
            pool(inputs[0], output: layer.output) { values, paddedCount in
                values.reduce(0, +) / Float(countIncludePad ? paddedCount : values.count)
            }
        }
    }

    /// The rows (or columns) of one window that lie inside the input, and the divisor's extent when
    /// padding counts: the window clipped to the padded input, so ceil-mode overhang never counts.
    private func windowSpan(_ index: Int, stride: Int, kernel: Int, padBefore: Int, padAfter: Int, size: Int)
        -> (inside: Range<Int>, paddedCount: Int) {
        let start = index * stride - padBefore
        let end = min(start + kernel, size + padAfter)
        return (max(start, 0)..<min(end, size), end - start)
    }

    /// Applies `reduce` to the in-bounds values of every window; padding never takes part in a max.
    private func pool(_ input: Tensor3, output shape: FeatureShape, reduce: ([Float], Int) -> Float) -> [Float] {
        var out = [Float](repeating: 0, count: shape.count)
        for channel in 0..<shape.channels {
            for y in 0..<shape.height {
                let rows = windowSpan(y, stride: window.stride.height, kernel: window.kernel.height, padBefore: window.padding.top,
                                      padAfter: window.padding.bottom, size: input.shape.height)
                for x in 0..<shape.width {
                    let columns = windowSpan(x, stride: window.stride.width, kernel: window.kernel.width, padBefore: window.padding.left,
                                             padAfter: window.padding.right, size: input.shape.width)
                    var values: [Float] = []
                    for row in rows.inside {
                        for column in columns.inside {
                            values.append(input[channel, row, column])
                        }
                    }
                    out[(channel * shape.height + y) * shape.width + x] = reduce(values, rows.paddedCount * columns.paddedCount)
                }
            }
        }
        return out
    }
}
