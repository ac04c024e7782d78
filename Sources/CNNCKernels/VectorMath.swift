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
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let er = p * r2 + r + 1
    let exponentBits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return er * unsafeBitCast(exponentBits, to: SIMD8<Float>.self)
}

@_transparent
func clamp(_ x: SIMD8<Float>, _ lower: Float, _ upper: Float) -> SIMD8<Float> {
    let low = SIMD8<Float>(repeating: lower), high = SIMD8<Float>(repeating: upper)
    return x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
}

/// tanh: Cephes' odd polynomial below |x| = 0.625, `1 − 2 / (e²ˣ + 1)` above, sign restored.
@_transparent
package func hyperbolicTangent(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let magnitude = abs(x)
    let z = x * x
    var p = SIMD8<Float>(repeating: -5.70498872745e-3)
    p = p * z + 2.06390887954e-2
    p = p * z - 5.37397155531e-2
    p = p * z + 1.33314422036e-1
    p = p * z - 3.33332819422e-1
    let small = p * z * x + x
    let large = 1 - 2 / (exponential(2 * magnitude) + 1)
    let signedLarge = large.replacing(with: -large, where: x .< 0)
    return small.replacing(with: signedLarge, where: magnitude .> 0.625)
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
