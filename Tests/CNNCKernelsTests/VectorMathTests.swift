@testable import CNNCKernels
import Foundation
import Testing

/// The vector approximations against the C library, over wide ranges.
@Suite struct VectorMathTests {
    /// Largest error of `approximation` relative to `reference`, with `floor` as the smallest magnitude
    /// that counts as relative (absolute below it).
    func worstError(from: Float, to: Float, steps: Int, floor: Float = 1e-30,
                    _ approximation: (SIMD8<Float>) -> SIMD8<Float>, _ reference: (Double) -> Double) -> Double {
        var worst = 0.0
        for index in 0..<steps {
            let x = from + (to - from) * Float(index) / Float(steps - 1)
            let approximate = Double(approximation(SIMD8(repeating: x))[3])
            let exact = reference(Double(x))
            worst = max(worst, abs(approximate - exact) / max(abs(exact), Double(floor)))
        }
        return worst
    }

    @Test func exponentialIsWithinAFewUlps() {
        #expect(worstError(from: -87, to: 88, steps: 50_001, exponential, Foundation.exp) < 3e-7)
    }

    @Test func tanhIsWithinAFewUlps() {
        // The rational form stays within about three float32 ulps (one ulp is at most 2⁻²³ ≈ 1.2·10⁻⁷ relative).
        #expect(worstError(from: -12, to: 12, steps: 50_001, floor: 1e-6, hyperbolicTangent, Foundation.tanh) < 4e-7)
        // Relative error on both sides of 0.0004, below which tanh(x) is x.
        #expect(worstError(from: -2e-3, to: 2e-3, steps: 40_001, hyperbolicTangent, Foundation.tanh) < 4e-7)
        #expect(hyperbolicTangent(SIMD8(repeating: 30))[0] == 1)
        #expect(hyperbolicTangent(SIMD8(repeating: -30))[0] == -1)
        // Around the clamp, where the rational form meets ±1: never beyond it, and exactly ±1 past it.
        var largest: Float = 0
        for index in 0...20_000 {
            let x = 7 + 2 * Float(index) / 20_000
            largest = max(largest, hyperbolicTangent(SIMD8(repeating: x))[0], -hyperbolicTangent(SIMD8(repeating: -x))[0])
        }
        #expect(largest == 1)
        #expect(hyperbolicTangent(SIMD8(repeating: 8.5))[0] == 1)
    }

    @Test func onePlusErfKeepsItsTail() {
        // Absolute error on 1 + erf below 3·10⁻⁷ everywhere; relative error small in the left tail too.
        var worstAbsolute = 0.0
        for index in 0..<20_001 {
            let x = -6 + 12 * Float(index) / 20_000
            worstAbsolute = max(worstAbsolute, abs(Double(onePlusErf(SIMD8(repeating: x))[0]) - (1 + Foundation.erf(Double(x)))))
        }
        #expect(worstAbsolute < 3e-7)
        #expect(worstError(from: -4, to: 0, steps: 10_001, { onePlusErf($0) }, { Foundation.erfc(-$0) }) < 2e-6)
        // Further out, rounding z² to float32 alone costs up to 81 · 2⁻²⁴ ≈ 5·10⁻⁶ relative in e^(−z²).
        #expect(worstError(from: -9, to: -4, steps: 10_001, { onePlusErf($0) }, { Foundation.erfc(-$0) }) < 1e-5)
    }

    @Test func activationsMatchTheirDefinitions() {
        for x in stride(from: Float(-8), through: 8, by: 0.01) {
            let sigmoid = ActivationFunction.sigmoid.apply(x)
            #expect(abs(Double(sigmoid) - 1 / (1 + Foundation.exp(-Double(x)))) < 1e-7)
            let gelu = ActivationFunction.gelu.apply(x)
            #expect(abs(Double(gelu) - Double(x) / 2 * (1 + Foundation.erf(Double(x) / 2.squareRoot()))) < 1e-6)
            let elu = ActivationFunction.elu(alpha: 0.5).apply(x)
            #expect(abs(Double(elu) - (x > 0 ? Double(x) : 0.5 * Foundation.expm1(Double(x)))) < 2e-7)
            let silu = ActivationFunction.silu.apply(x)
            #expect(abs(Double(silu) - Double(x) / (1 + Foundation.exp(-Double(x)))) < 2e-6)
        }
    }
}
