/// An exact fraction in lowest terms with a positive denominator: receptive-field jumps become
/// fractions after upsampling, and a rounded float would not be the truth.
public struct Rational: Hashable, Sendable, CustomStringConvertible {
    public let numerator: Int
    public let denominator: Int

    public init(_ numerator: Int, _ denominator: Int = 1) {
        precondition(denominator != 0, "zero denominator")
        let divisor = max(1, greatestCommonDivisor(numerator, denominator))
        let sign = denominator < 0 ? -1 : 1
        self.numerator = sign * numerator / divisor
        self.denominator = sign * denominator / divisor
    }

    public var isInteger: Bool { denominator == 1 }

    /// `2`, `1/2`.
    public var description: String { isInteger ? "\(numerator)" : "\(numerator)/\(denominator)" }
}

func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a.magnitude, b.magnitude)
    while b != 0 { (a, b) = (b, a % b) }
    return Int(a)
}

/// ⌊a / b⌋ for b > 0, also for negative a.
func floorDivision(_ a: Int, _ b: Int) -> Int {
    let quotient = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
}
