/// An element-wise activation applied as a producing loop stores its results (the "epilogue"), so
/// an activation after a convolution or dense layer costs no extra pass over memory. Each activation
/// is a type, so every kernel is specialised for its activation: no switch is left in the loops.
package protocol ActivationKernel {
    /// Eight lanes at once, with the definitions of docs/spec.md; the transcendental ones use
    /// `VectorMath`'s approximations, a few float32 ulps from the C library's.
    func apply(_ x: SIMD8<Float>) -> SIMD8<Float>
    #if CNNC_AVX512
    /// Sixteen lanes at once for the AVX-512 kernels, lane by lane the same function as `apply`
    /// (WideDirectConvolution.swift).
    func applyWide(_ x: SIMD16<Float>) -> SIMD16<Float>
    #endif
}

extension ActivationKernel {
    /// Applies the function to `count` values in place.
    @inline(__always)
    package func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var index = 0
        while index + 8 <= count {
            values.storeVector(apply(values.loadVector(at: index)), at: index)
            index += 8
        }
        if index < count {
            let rest = count - index
            (values + index).storePartial(apply((values + index).loadPartial(rest)), rest)
        }
    }
}

/// The activations, one type each (docs/spec.md has their definitions).
package enum Activations {
    package struct Identity: ActivationKernel {
        package init() {}
        @inline(__always) package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x }
    }

    package struct ReLU: ActivationKernel {
        package init() {}
        @inline(__always) package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: 0, where: x .< 0) }
    }

    package struct ReLU6: ActivationKernel {
        package init() {}
        @inline(__always) package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { clamp(x, 0, 6) }
    }

    package struct LeakyReLU: ActivationKernel {
        package let alpha: Float
        package init(alpha: Float) { self.alpha = alpha }
        @inline(__always) package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: x * alpha, where: x .< 0) }
    }

    package struct ELU: ActivationKernel {
        package let alpha: Float
        package init(alpha: Float) { self.alpha = alpha }
        @inline(__always) package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> {
            x.replacing(with: alpha * (exponential(x) - 1), where: x .<= 0)
        }
    }

    package struct Sigmoid: ActivationKernel {
        package init() {}
        @inline(__always) package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + exponential(-x)) }
    }

    package struct Tanh: ActivationKernel {
        package init() {}
        @inline(__always) package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { hyperbolicTangent(x) }
    }

    /// The exact form `x·Φ(x)`, through erf.
    package struct GELU: ActivationKernel {
        package init() {}
        @inline(__always) package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { 0.5 * x * onePlusErf(x * Float(0.5).squareRoot()) }
    }

    package struct SiLU: ActivationKernel {
        package init() {}
        @inline(__always) package func apply(_ x: SIMD8<Float>) -> SIMD8<Float> { x / (1 + exponential(-x)) }
    }
}

/// The activations as values, for planning and for tests that pick one at run time.
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

    /// Whether AVX-512 compilations compute it sixteen lanes at once (`applyWide`): the piecewise-
    /// linear ones, those built on `exponential`, and tanh; GELU goes by halves of eight.
    package var hasSixteenLaneForm: Bool {
        switch self {
        case .identity, .relu, .relu6, .leakyReLU, .elu, .sigmoid, .silu, .tanh: true
        case .gelu: false
        }
    }

    #if !hasFeature(Embedded)
    /// The kernel type's value, for code that picks the activation at run time (tests); Embedded
    /// Swift has no existentials.
    package var kernel: any ActivationKernel {
        switch self {
        case .identity: Activations.Identity()
        case .relu: Activations.ReLU()
        case .relu6: Activations.ReLU6()
        case .leakyReLU(let alpha): Activations.LeakyReLU(alpha: alpha)
        case .elu(let alpha): Activations.ELU(alpha: alpha)
        case .sigmoid: Activations.Sigmoid()
        case .tanh: Activations.Tanh()
        case .gelu: Activations.GELU()
        case .silu: Activations.SiLU()
        }
    }
    #endif

    /// One value through the vector form (lane 0), so every value is computed the same way. A switch
    /// rather than an existential, which Embedded Swift (the `--runtime minimal` and device builds)
    /// does not allow.
    package func apply(_ x: Float) -> Float {
        let lanes = SIMD8(repeating: x)
        switch self {
        case .identity: return Activations.Identity().apply(lanes)[0]
        case .relu: return Activations.ReLU().apply(lanes)[0]
        case .relu6: return Activations.ReLU6().apply(lanes)[0]
        case .leakyReLU(let alpha): return Activations.LeakyReLU(alpha: alpha).apply(lanes)[0]
        case .elu(let alpha): return Activations.ELU(alpha: alpha).apply(lanes)[0]
        case .sigmoid: return Activations.Sigmoid().apply(lanes)[0]
        case .tanh: return Activations.Tanh().apply(lanes)[0]
        case .gelu: return Activations.GELU().apply(lanes)[0]
        case .silu: return Activations.SiLU().apply(lanes)[0]
        }
    }
}

extension UnsafePointer where Pointee == Float {
    @inline(__always)
    func loadVector(at offset: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// The first `count` (< 8) floats in the low lanes, zeros above.
    @inline(__always)
    func loadPartial(_ count: Int) -> SIMD8<Float> {
        var vector = SIMD8<Float>()
        for lane in 0..<count { vector[lane] = self[lane] }
        return vector
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

    /// The first `count` (< 8) floats in the low lanes, zeros above: tails without reading past the end.
    @inline(__always)
    func loadPartial(_ count: Int) -> SIMD8<Float> {
        var vector = SIMD8<Float>()
        for lane in 0..<count { vector[lane] = self[lane] }
        return vector
    }

    @inline(__always)
    func storePartial(_ vector: SIMD8<Float>, _ count: Int) {
        for lane in 0..<count { self[lane] = vector[lane] }
    }
}
