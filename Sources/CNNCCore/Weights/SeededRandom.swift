// Deterministic random numbers for `cnnc init-weights --seed N`: the same seed must give the same
// weight bytes on every machine, with every toolchain, forever.
//
// That rules out the standard library's generators and `random(in:using:)` (whose algorithms are
// not promised to stay the same) and the C library's `log`, `exp` and `cos` (whose last bit differs
// between libm versions and CPUs). What is left: integer arithmetic, which is exact everywhere,
// and the IEEE 754 operations + − × ÷ and `squareRoot()`, which are correctly rounded everywhere.
// Swift does not fuse a multiply and an add into one FMA unless asked to, so each expression below
// rounds the same way on every machine.
//
// The generators deliberately do not conform to `RandomNumberGenerator`, so they cannot be passed
// to standard-library methods whose results might change between Swift releases.

/// SplitMix64 (Steele, Lea and Flood 2014; Vigna's public-domain reference `splitmix64.c`):
/// used to expand one 64-bit seed into the 256-bit state of `Xoshiro256StarStar`.
public struct SplitMix64: Sendable {
    public private(set) var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** 1.0 (Blackman and Vigna 2018; reference `xoshiro256starstar.c`), a small, fast,
/// well-tested generator with 256 bits of state.
public struct Xoshiro256StarStar: Sendable {
    private var s0, s1, s2, s3: UInt64
    /// The second value of the last polar-method pair, returned by the next `nextNormal()`.
    private var spareNormal: Double?

    /// Seeds the state with the first four outputs of SplitMix64 started at `seed`, as the
    /// algorithm's authors recommend; the state cannot come out all zero.
    public init(seed: UInt64) {
        var seeder = SplitMix64(state: seed)
        self.init(state: (seeder.next(), seeder.next(), seeder.next(), seeder.next()))
    }

    /// Starts from a raw state (for reproducing published test vectors); it must not be all zero.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256** state must not be all zero")
        (s0, s1, s2, s3) = state
    }

    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    private func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

    /// A uniform double in [0, 1): the top 53 bits of `next()` scaled by 2⁻⁵³, exactly.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal deviate (mean 0, variance 1) by Marsaglia's polar method.
    ///
    /// Box–Muller needs `cos` and `sin`, whose results differ between C libraries; the polar
    /// method needs only a logarithm, which `PortableMath.naturalLog` computes with exactly rounded
    /// operations. Each accepted pair gives two deviates: the second is kept for the next call.
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        while true {
            let u = 2 * nextDouble() - 1
            let v = 2 * nextDouble() - 1
            let s = u * u + v * v
            // Reject points outside the unit disc, and the centre, where log(s)/s is undefined.
            guard s < 1, s > 0 else { continue }
            let factor = (-2 * PortableMath.naturalLog(s) / s).squareRoot()
            spareNormal = v * factor
            return u * factor
        }
    }
}

/// He (Kaiming) normal initialization: `count` values from a normal distribution with mean 0 and
/// standard deviation √(2 / fanIn), the usual start for weights feeding a ReLU.
public func heNormal(count: Int, fanIn: Int, rng: inout Xoshiro256StarStar) -> [Float] {
    precondition(count >= 0, "count must not be negative")
    precondition(fanIn > 0, "fan-in must be positive")
    let standardDeviation = (2 / Double(fanIn)).squareRoot()
    var values: [Float] = []
    values.reserveCapacity(count)
    for _ in 0..<count {
        // Rounded once, from double to float, to nearest: the same bits everywhere.
        values.append(Float(rng.nextNormal() * standardDeviation))
    }
    return values
}

/// Elementary functions computed only with operations that IEEE 754 rounds exactly, so their
/// results are bit-for-bit the same on every machine (unlike the C library's).
public enum PortableMath {
    /// The natural logarithm, within about 2 × 10⁻¹⁶ relative of the true value.
    ///
    /// Write x = 2ᵉ · m with m in [√½, √2], split off from the bit pattern exactly. Then
    /// ln x = e · ln 2 + ln m, and ln m = 2 atanh(f) = 2 (f + f³/3 + f⁵/5 + …) with f = (m − 1)/(m + 1).
    /// Here |f| ≤ 0.1716, so f² ≤ 0.0295 and twelve terms leave a truncation error below 10⁻¹⁹;
    /// m − 1 is exact (Sterbenz), so f carries only two roundings. ln 2 is split into a high part
    /// with 32 significant bits (so e · ln2High is exact for any exponent) and a low correction,
    /// as in fdlibm, so large exponents do not lose the low bits of ln 2.
    public static func naturalLog(_ x: Double) -> Double {
        guard x > 0 else { return x == 0 ? -.infinity : .nan }  // NaN fails `x > 0` too
        guard x.isFinite else { return x }

        var bits = x.bitPattern
        var exponent = Int((bits >> 52) & 0x7FF)
        if exponent == 0 {
            // Subnormal: scale into the normal range first (exact, a power of two).
            bits = (x * 0x1p54).bitPattern
            exponent = Int((bits >> 52) & 0x7FF) - 54
        }
        exponent -= 1023
        var mantissa = Double(bitPattern: (bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000)  // in [1, 2)
        if mantissa > 1.4142135623730951 {
            mantissa *= 0.5  // exact
            exponent += 1
        }

        let f = (mantissa - 1) / (mantissa + 1)
        let f2 = f * f
        // 2/(2k+1) for k = 11 … 0, evaluated by Horner's rule from the smallest term up.
        var series = 2.0 / 23.0
        for denominator in stride(from: 21.0, through: 1.0, by: -2.0) {
            series = 2 / denominator + f2 * series
        }
        let logMantissa = f * series

        let ln2High = 0x1.62E42FEE00000p-1  // 6.93147180369123816490e-01
        let ln2Low = 0x1.A39EF35793C76p-33  // 1.90821492927058770002e-10
        let e = Double(exponent)
        return e * ln2High + (logMantissa + e * ln2Low)
    }
}
