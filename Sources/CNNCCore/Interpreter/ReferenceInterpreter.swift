#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNNCRuntime

/// A plain, obviously-correct executor of any checked network: the oracle the generated code is
/// tested against. Clarity beats speed here; loops follow docs/spec.md's definitions directly.
///
/// Arithmetic is float32 throughout. Accumulation order, for reproducibility: a convolution sums over
/// the input channels of its group, then kernel rows, then kernel columns, each ascending, starting
/// from 0, and adds the bias last; a dense layer sums over its inputs ascending and adds the bias last;
/// each term is added with a fused multiply-add (one rounding), as the generated kernels do, so both
/// round alike. Average pooling sums the window row by row, then divides.
public struct ReferenceInterpreter: Sendable {
    public let network: CheckedNetwork
    public let weights: NetworkWeights

    /// `weights` must hold every slot of `network.parameterSlots` with its exact element count.
    public init(network: CheckedNetwork, weights: NetworkWeights) {
        for slot in network.parameterSlots {
            precondition(weights[slot]?.count == slot.count, "missing or mis-sized weights for \(slot.name)")
        }
        self.network = network
        self.weights = weights
    }

    /// Runs one sample (C, H, W order) through every layer.
    public func run(_ input: [Float]) -> [Float] {
        precondition(input.count == network.input.count, "input has \(input.count) values, expected \(network.input.count)")
        var activations = input
        for layer in network.layers {
            activations = apply(layer, to: activations)
        }
        return activations
    }

    /// Runs `count` samples laid out one after another.
    public func run(batch input: [Float], count: Int) -> [Float] {
        let sampleSize = network.input.count
        var output: [Float] = []
        output.reserveCapacity(count * network.output.count)
        for sample in 0..<count {
            output += run(Array(input[sample * sampleSize..<(sample + 1) * sampleSize]))
        }
        return output
    }

    /// The output of one layer; exposed for tests and the receptive-field checks.
    public func apply(_ layer: CheckedLayer, to input: [Float]) -> [Float] {
        let tensor = Tensor3(shape: layer.input, values: input)
        switch layer.operation {
        case .conv(let conv):
            return convolve(tensor, conv, weight: weights[name: "\(layer.name).weight"]!,
                            bias: weights[name: "\(layer.name).bias"], output: layer.output)
        case .maxPool(let window):
            return maxPool(tensor, window, output: layer.output)
        case .avgPool(let window, let countIncludePad):
            return averagePool(tensor, window, countIncludePad: countIncludePad, output: layer.output)
        case .globalAvgPool:
            return (0..<tensor.shape.channels).map { channel in
                let plane = tensor.plane(channel)
                return plane.reduce(0, +) / Float(plane.count)
            }
        case .globalMaxPool:
            return (0..<tensor.shape.channels).map { tensor.plane($0).max()! }
        case .activation(let activation):
            return activate(tensor, activation)
        case .batchNorm(let eps):
            let scale = weights[name: "\(layer.name).weight"]!
            let shift = weights[name: "\(layer.name).bias"]!
            let mean = weights[name: "\(layer.name).running_mean"]!
            let variance = weights[name: "\(layer.name).running_var"]!
            var out = input
            let planeSize = layer.input.height * layer.input.width
            for channel in 0..<layer.input.channels {
                let inverse = 1 / (variance[channel] + eps).squareRoot()
                for index in channel * planeSize..<(channel + 1) * planeSize {
                    out[index] = (input[index] - mean[channel]) * inverse * scale[channel] + shift[channel]
                }
            }
            return out
        case .dropout, .flatten:
            return input
        case .dense(let dense):
            let weight = weights[name: "\(layer.name).weight"]!
            let bias = weights[name: "\(layer.name).bias"]
            return (0..<dense.outFeatures).map { output in
                var sum: Float = 0
                for feature in 0..<dense.inFeatures {
                    sum = sum.addingProduct(weight[output * dense.inFeatures + feature], input[feature])
                }
                return sum + (bias?[output] ?? 0)
            }
        }
    }

    // MARK: Convolution

    private func convolve(_ input: Tensor3, _ conv: Convolution, weight: [Float], bias: [Float]?, output shape: FeatureShape) -> [Float] {
        let window = conv.window
        let kernel = window.kernel
        // For every output row (column) and kernel tap, the input row (column) it reads, or nil where it
        // reads the constant padding. Computing these once keeps the padding rules out of the sums.
        func sources(outputs: Int, taps: Int, stride: Int, dilation: Int, padBefore: Int, size: Int) -> [[Int?]] {
            (0..<outputs).map { position in
                (0..<taps).map { tap in
                    let index = position * stride + tap * dilation - padBefore
                    switch conv.paddingMode {
                    case .zeros, .constant: return (0..<size).contains(index) ? index : nil
                    case .reflect, .replicate, .circular: return Tensor3.source(index, size, conv.paddingMode)
                    }
                }
            }
        }
        let rowSources = sources(outputs: shape.height, taps: kernel.height, stride: window.stride.height,
                                 dilation: window.dilation.height, padBefore: window.padding.top, size: input.shape.height)
        let columnSources = sources(outputs: shape.width, taps: kernel.width, stride: window.stride.width,
                                    dilation: window.dilation.width, padBefore: window.padding.left, size: input.shape.width)
        let padValue: Float = if case .constant(let value) = conv.paddingMode { value } else { 0 }
        let planeSize = shape.height * shape.width
        var out = [Float](repeating: 0, count: shape.count)
        // Every output element adds its terms in the documented order (channel, kernel row, kernel
        // column), so looping over the taps outside the pixels changes no rounding.
        out.withUnsafeMutableBufferPointer { out in
            input.values.withUnsafeBufferPointer { pixels in
                for outChannel in 0..<conv.outChannels {
                    let group = outChannel / conv.outChannelsPerGroup
                    let plane = out.baseAddress! + outChannel * planeSize
                    for groupChannel in 0..<conv.inChannelsPerGroup {
                        let inPlane = pixels.baseAddress! + (group * conv.inChannelsPerGroup + groupChannel) * input.shape.height * input.shape.width
                        for ky in 0..<kernel.height {
                            for kx in 0..<kernel.width {
                                let tap = weight[((outChannel * conv.inChannelsPerGroup + groupChannel) * kernel.height + ky) * kernel.width + kx]
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

    // MARK: Pooling

    /// The rows (or columns) of one window that lie inside the input, and the divisor's extent when
    /// padding counts: the window clipped to the padded input, so ceil-mode overhang never counts.
    private func windowSpan(_ index: Int, stride: Int, kernel: Int, padBefore: Int, padAfter: Int, size: Int)
        -> (inside: Range<Int>, paddedCount: Int) {
        let start = index * stride - padBefore
        let end = min(start + kernel, size + padAfter)
        return (max(start, 0)..<min(end, size), end - start)
    }

    private func maxPool(_ input: Tensor3, _ window: Window, output shape: FeatureShape) -> [Float] {
        pool(input, window, output: shape) { values, _ in values.max()! }
    }

    private func averagePool(_ input: Tensor3, _ window: Window, countIncludePad: Bool, output shape: FeatureShape) -> [Float] {
        pool(input, window, output: shape) { values, paddedCount in
            values.reduce(0, +) / Float(countIncludePad ? paddedCount : values.count)
        }
    }

    /// Applies `reduce` to the in-bounds values of every window; padding never takes part in a max.
    private func pool(_ input: Tensor3, _ window: Window, output shape: FeatureShape, reduce: ([Float], Int) -> Float) -> [Float] {
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

    // MARK: Activations

    private func activate(_ input: Tensor3, _ activation: Activation) -> [Float] {
        switch activation {
        case .softmax:
            let shape = input.shape
            var out = input.values
            let planeSize = shape.height * shape.width
            for position in 0..<planeSize {
                var largest = -Float.infinity
                for channel in 0..<shape.channels { largest = max(largest, input.values[channel * planeSize + position]) }
                var sum: Float = 0
                for channel in 0..<shape.channels {
                    let exponential = expf(input.values[channel * planeSize + position] - largest)
                    out[channel * planeSize + position] = exponential
                    sum += exponential
                }
                for channel in 0..<shape.channels { out[channel * planeSize + position] /= sum }
            }
            return out
        case .relu, .relu6, .leakyReLU, .elu, .sigmoid, .tanh, .gelu, .silu:
            return input.values.map { Self.elementwise(activation, $0) }
        }
    }

    /// The element-wise activations' definitions (docs/spec.md).
    public static func elementwise(_ activation: Activation, _ x: Float) -> Float {
        switch activation {
        case .relu: return max(0, x)
        case .relu6: return min(max(0, x), 6)
        case .leakyReLU(let alpha): return x >= 0 ? x : alpha * x
        case .elu(let alpha): return x > 0 ? x : alpha * expm1f(x)
        case .sigmoid: return 1 / (1 + expf(-x))
        case .tanh: return tanhf(x)
        case .gelu: return 0.5 * x * (1 + erff(x * Float(0.5).squareRoot()))
        case .silu: return x / (1 + expf(-x))
        case .softmax: preconditionFailure("softmax is not element-wise")
        }
    }
}

/// One sample's activations with C, H, W indexing and the padding rules of docs/spec.md.
struct Tensor3 {
    let shape: FeatureShape
    let values: [Float]

    subscript(_ channel: Int, _ row: Int, _ column: Int) -> Float {
        values[(channel * shape.height + row) * shape.width + column]
    }

    func plane(_ channel: Int) -> ArraySlice<Float> {
        let size = shape.height * shape.width
        return values[channel * size..<(channel + 1) * size]
    }

    /// The value at a position that may lie in the padding.
    func padded(_ channel: Int, _ row: Int, _ column: Int, mode: PaddingMode) -> Float {
        let inside = (0..<shape.height).contains(row) && (0..<shape.width).contains(column)
        if inside { return self[channel, row, column] }
        switch mode {
        case .zeros: return 0
        case .constant(let value): return value
        case .reflect, .replicate, .circular:
            return self[channel, Self.source(row, shape.height, mode), Self.source(column, shape.width, mode)]
        }
    }

    /// The input index a padded index copies under reflect, replicate or circular padding.
    static func source(_ index: Int, _ size: Int, _ mode: PaddingMode) -> Int {
        guard index < 0 || index >= size else { return index }
        switch mode {
        case .reflect:
            // The checker guarantees pad < size, so one reflection suffices.
            return index < 0 ? -index : 2 * (size - 1) - index
        case .replicate:
            return min(max(index, 0), size - 1)
        case .circular:
            return ((index % size) + size) % size
        case .zeros, .constant:
            preconditionFailure("no source pixel for \(mode) padding")
        }
    }
}
