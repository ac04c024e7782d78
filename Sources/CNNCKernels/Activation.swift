/// An element-wise function applied as a producing loop stores its results (the "epilogue"), so an
/// activation after a convolution or dense layer costs no extra pass over memory.
package enum ActivationFunction: Hashable, Sendable {
    case identity
    case relu
    case relu6
    case leakyReLU(alpha: Float)
    case elu(alpha: Float)
    case sigmoid
    case tanh
    case gelu
    case silu

    /// One value: the vector form on one lane, so every value of a tensor is computed the same way.
    @inline(__always)
    package func apply(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .relu: return max(0, x)
        case .relu6: return min(max(0, x), 6)
        case .leakyReLU(let alpha): return x >= 0 ? x : alpha * x
        case .elu, .sigmoid, .tanh, .gelu, .silu: return apply(SIMD8(repeating: x))[0]
        }
    }

    /// Eight lanes at once, with the definitions of docs/spec.md; the transcendental ones use
    /// `VectorMath`'s approximations, a few float32 ulps from the C library's.
    @inline(__always)
    package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .identity: return x
        case .relu: return x.replacing(with: 0, where: x .< 0)
        case .relu6: return x.clamped(lowerBound: SIMD8(repeating: 0), upperBound: SIMD8(repeating: 6))
        case .leakyReLU(let alpha): return x.replacing(with: x * alpha, where: x .< 0)
        case .elu(let alpha): return x.replacing(with: alpha * (exponential(x) - 1), where: x .<= 0)
        case .sigmoid: return 1 / (1 + exponential(-x))
        case .tanh: return hyperbolicTangent(x)
        case .gelu: return 0.5 * x * onePlusErf(x * Float(0.5).squareRoot())
        case .silu: return x / (1 + exponential(-x))
        }
    }

    /// Applies the function to `count` values in place.
    @inline(__always)
    package func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        if self == .identity { return }
        var index = 0
        while index + 8 <= count {
            values.storeVector(apply(values.loadVector(at: index)), at: index)
            index += 8
        }
        while index < count {
            values[index] = apply(values[index])
            index += 1
        }
    }
}

extension UnsafePointer where Pointee == Float {
    @inline(__always)
    func loadVector(at offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always)
    func loadVector(at offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    func storeVector(_ vector: SIMD8<Float>, at offset: Int) {
        UnsafeMutableRawPointer(self + offset).storeBytes(of: vector, as: SIMD8<Float>.self)
    }
}
