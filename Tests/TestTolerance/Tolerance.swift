/// The tolerance table of docs/testing.md, used by every numeric comparison in the tests: a value
/// agrees when |actual − expected| ≤ absolute + relative·|expected|, and both are finite.
public struct Tolerance: Sendable {
    public let relative: Float
    public let absolute: Float

    /// Kernels that keep the reference interpreter's summation order.
    public static let sameOrder = Tolerance(relative: 1e-5, absolute: 1e-6)
    /// Kernels that reorder sums (Winograd, WebAssembly without fused multiply-add) and comparisons
    /// with ONNX Runtime or PyTorch.
    public static let reordered = Tolerance(relative: 1e-4, absolute: 1e-5)

    /// The worst disagreement as a one-line description, or nil when every value agrees. NaN or
    /// infinity on either side is a disagreement: with an infinite expected value the bound itself
    /// would be infinite and anything would pass.
    public func disagreement(_ actual: [Float], _ expected: [Float]) -> String? {
        if actual.count != expected.count { return "\(actual.count) values, expected \(expected.count)" }
        var worst: (index: Int, excess: Float)?
        var failures = 0
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            let excess = a.isFinite && e.isFinite ? abs(a - e) / (absolute + relative * abs(e)) : .infinity
            guard excess > 1 else { continue }
            failures += 1
            if worst == nil || excess > worst!.excess { worst = (index, excess) }
        }
        guard let worst else { return nil }
        return "\(failures) of \(actual.count) values disagree; worst: value \(worst.index) is \(actual[worst.index]), expected \(expected[worst.index])"
            + (worst.excess.isFinite ? " (\(worst.excess)× the tolerance)" : "")
    }

    /// How far the worst value is from its expected one, in units of the tolerance (≤ 1 agrees);
    /// infinity when the counts differ or a value is not finite.
    public func worstRatio(_ actual: [Float], _ expected: [Float]) -> Float {
        guard actual.count == expected.count else { return .infinity }
        var worst: Float = 0
        for (a, e) in zip(actual, expected) {
            guard a.isFinite && e.isFinite else { return .infinity }
            worst = max(worst, abs(a - e) / (absolute + relative * abs(e)))
        }
        return worst
    }
}
