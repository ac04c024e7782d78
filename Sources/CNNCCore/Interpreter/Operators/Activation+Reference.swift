#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Activation: ReferenceSemantics {
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        let input = inputs[0]
        switch self {
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
            return input.values.map { ReferenceInterpreter.elementwise(self, $0) }
        }
    }
}

extension ReferenceInterpreter {
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
