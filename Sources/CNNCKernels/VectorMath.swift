/// Exponential, tanh and erf on eight floats at once; `@_transparent` because `@inline(__always)` is
/// not honoured inside large specialised loops, and a call boundary splits each vector in two halves. The C library's `expf`/`tanhf` are correctly
/// rounded but scalar, and dominated small networks' run time; these stay within a few float32 ulps
/// (tests compare them with the C library over wide ranges).

/// eˣ by Cody–Waite range reduction, `x = n·ln 2 + r`, and Cephes' degree-6 polynomial for eʳ
/// (relative error below 2⁻²³ on the reduced range). Inputs are clamped to where the result is a
/// normal float.
@_transparent
package func exponential(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let clamped = clamp(x, -87.33654, 88.37626)
    // Adding 1.5·2²³ rounds to an integer and leaves it in the low mantissa bits: n without a
    // float-to-integer conversion (which the standard library does lane by lane).
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.44269504088896341 + magic
    let n = shifted - magic
    var r = clamped - n * 0.693359375
    r = r - n * -2.12194440e-4
    let r2 = r * r
    // Horner steps as fused multiply-adds, as in `hyperbolicTangent`.
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = SIMD8(repeating: 1.3981999507e-3).accumulating(p, r)
    p = SIMD8(repeating: 8.3334519073e-3).accumulating(p, r)
    p = SIMD8(repeating: 4.1665795894e-2).accumulating(p, r)
    p = SIMD8(repeating: 1.6666665459e-1).accumulating(p, r)
    p = SIMD8(repeating: 5.0000001201e-1).accumulating(p, r)
    let er = r.accumulating(p, r2) + 1
    let exponentBits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return er * unsafeBitCast(exponentBits, to: SIMD8<Float>.self)
}

@_transparent
func clamp(_ x: SIMD8<Float>, _ lower: Float, _ upper: Float) -> SIMD8<Float> {
    let low = SIMD8<Float>(repeating: lower), high = SIMD8<Float>(repeating: upper)
    // Each comparison on the value it selects from, so that both compile to `vmaxps`/`vminps`; the
    // upper one on `x` took a comparison and a blend. (`pointwiseMin` and `pointwiseMax` are calls.)
    let raised = x.replacing(with: low, where: x .< low)
    return raised.replacing(with: high, where: high .< raised)
}

/// tanh as a 13/6-degree rational function of x (Eigen's `generic_fast_tanh_float`), Horner steps as
/// fused multiply-adds (`accumulating`): half the instructions and latency of separate ones (lenet5's
/// c1 + tanh took 0.76× the time). x is clamped where the rational form first rounds to exactly ±1,
/// which the fused and the unfused (WebAssembly) forms reach at different points. One division and no
/// exponential.
@_transparent
package func hyperbolicTangent(_ x: SIMD8<Float>) -> SIMD8<Float> {
    #if arch(wasm32)
    let saturation: Float = 7.90531110763549805
    #else
    let saturation: Float = 7.99881172180175781
    #endif
    let clamped = clamp(x, -saturation, saturation)
    let x2 = clamped * clamped
    var p = SIMD8<Float>(repeating: -2.76076847742355e-16)
    p = SIMD8(repeating: 2.00018790482477e-13).accumulating(p, x2)
    p = SIMD8(repeating: -8.60467152213735e-11).accumulating(p, x2)
    p = SIMD8(repeating: 5.12229709037114e-08).accumulating(p, x2)
    p = SIMD8(repeating: 1.48572235717979e-05).accumulating(p, x2)
    p = SIMD8(repeating: 6.37261928875436e-04).accumulating(p, x2)
    p = SIMD8(repeating: 4.89352455891786e-03).accumulating(p, x2)
    p = p * clamped
    var q = SIMD8<Float>(repeating: 1.19825839466702e-06)
    q = SIMD8(repeating: 1.18534705686654e-04).accumulating(q, x2)
    q = SIMD8(repeating: 2.26843463243900e-03).accumulating(q, x2)
    q = SIMD8(repeating: 4.89352518554385e-03).accumulating(q, x2)
    // Below 0.0004 the rational form loses the last bits that tanh(x) = x keeps. Tested on x², where
    // `abs(x)` took a comparison, a subtraction and a blend (lenet5's c1 + tanh: 0.95× the time).
    return (p / q).replacing(with: x, where: x2 .< 1.6e-7)
}

/// 1 + erf(x) through erfc(|x|) by the Chebyshev fit of Numerical Recipes' `erfcc` (fractional error
/// below 1.2·10⁻⁷ for every argument), as a complement for negative x so the left tail keeps its
/// relative precision.
@_transparent
package func onePlusErf(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let z = abs(x)
    let t = 1 / (1 + 0.5 * z)
    var p = SIMD8<Float>(repeating: 0.17087277)
    p = p * t - 0.82215223
    p = p * t + 1.48851587
    p = p * t - 1.13520398
    p = p * t + 0.27886807
    p = p * t - 0.18628806
    p = p * t + 0.09678418
    p = p * t + 0.37409196
    p = p * t + 1.00002368
    p = p * t - 1.26551223
    let complement = t * exponential(p - z * z)  // erfc(|x|)
    return (2 - complement).replacing(with: complement, where: x .< 0)
}

@_transparent
func abs(_ x: SIMD8<Float>) -> SIMD8<Float> {
    x.replacing(with: -x, where: x .< 0)
}

extension SIMD8 where Scalar == Float {
    /// `self += a · b`, fused (one rounding, as the interpreter sums) where the target has fused
    /// multiply-add, and rounded twice on WebAssembly, whose SIMD128 has none: there LLVM would call
    /// `fmaf`, which no WebAssembly module of ours imports (docs/targets.md states the tolerance).
    @_transparent
    package mutating func accumulate(_ a: Self, _ b: Self) {
        #if arch(wasm32)
        self += a * b
        #else
        addProduct(a, b)
        #endif
    }

    /// `self + a · b`, fused as `accumulate` is.
    @_transparent
    package func accumulating(_ a: Self, _ b: Self) -> Self {
        var sum = self
        sum.accumulate(a, b)
        return sum
    }
}

extension SIMD16 where Scalar == Float {
    /// `self += a · b`, fused where the target has fused multiply-add: `SIMD8.accumulate` for the
    /// AVX-512 register block.
    @_transparent
    package mutating func accumulate(_ a: Self, _ b: Self) {
        #if arch(wasm32)
        self += a * b
        #else
        addProduct(a, b)
        #endif
    }

    /// `self + a · b`, fused as `accumulate` is.
    @_transparent
    package func accumulating(_ a: Self, _ b: Self) -> Self {
        var sum = self
        sum.accumulate(a, b)
        return sum
    }
}

#if CNNC_AVX512
/// `hyperbolicTangent` on sixteen floats, operation for operation (x86-64 only, so no WebAssembly
/// constant): for the AVX-512 direct kernel's tanh epilogue (`applyWide`).
@_transparent
package func hyperbolicTangent(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let saturation = SIMD16<Float>(repeating: 7.99881172180175781)
    let raised = x.replacing(with: -saturation, where: x .< -saturation)
    let clamped = raised.replacing(with: saturation, where: saturation .< raised)
    let x2 = clamped * clamped
    var p = SIMD16<Float>(repeating: -2.76076847742355e-16)
    p = SIMD16(repeating: 2.00018790482477e-13).accumulating(p, x2)
    p = SIMD16(repeating: -8.60467152213735e-11).accumulating(p, x2)
    p = SIMD16(repeating: 5.12229709037114e-08).accumulating(p, x2)
    p = SIMD16(repeating: 1.48572235717979e-05).accumulating(p, x2)
    p = SIMD16(repeating: 6.37261928875436e-04).accumulating(p, x2)
    p = SIMD16(repeating: 4.89352455891786e-03).accumulating(p, x2)
    p = p * clamped
    var q = SIMD16<Float>(repeating: 1.19825839466702e-06)
    q = SIMD16(repeating: 1.18534705686654e-04).accumulating(q, x2)
    q = SIMD16(repeating: 2.26843463243900e-03).accumulating(q, x2)
    q = SIMD16(repeating: 4.89352518554385e-03).accumulating(q, x2)
    return (p / q).replacing(with: x, where: x2 .< 1.6e-7)
}

/// `exponential` on sixteen floats, operation for operation, so each lane gets the same value: for
/// the activations of the AVX-512 direct kernel (`applyWide`), where two halves of eight made LLVM
/// split the kernel's multiply-adds in two (WideDirectConvolution.swift).
@_transparent
package func exponential(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let low = SIMD16<Float>(repeating: -87.33654), high = SIMD16<Float>(repeating: 88.37626)
    let raised = x.replacing(with: low, where: x .< low)
    let clamped = raised.replacing(with: high, where: high .< raised)
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let shifted = clamped * 1.44269504088896341 + magic
    let n = shifted - magic
    var r = clamped - n * 0.693359375
    r = r - n * -2.12194440e-4
    let r2 = r * r
    var p = SIMD16<Float>(repeating: 1.9875691500e-4)
    p = SIMD16(repeating: 1.3981999507e-3).accumulating(p, r)
    p = SIMD16(repeating: 8.3334519073e-3).accumulating(p, r)
    p = SIMD16(repeating: 4.1665795894e-2).accumulating(p, r)
    p = SIMD16(repeating: 1.6666665459e-1).accumulating(p, r)
    p = SIMD16(repeating: 5.0000001201e-1).accumulating(p, r)
    let er = r.accumulating(p, r2) + 1
    let exponentBits = (unsafeBitCast(shifted, to: SIMD16<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return er * unsafeBitCast(exponentBits, to: SIMD16<Float>.self)
}
#endif
