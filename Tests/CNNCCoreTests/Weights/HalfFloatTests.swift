import Testing
@testable import CNNCCore

@Suite struct HalfFloatTests {
    @Test(arguments: [
        (UInt16(0x3C00), Float(1.0)),
        (0xC000, -2.0),
        (0x7BFF, 65504),  // largest finite
        (0xFBFF, -65504),
        (0x0400, 0x1p-14),  // smallest normal
        (0x0001, 0x1p-24),  // smallest subnormal
        (0x8001, -0x1p-24),
        (0x03FF, 0x1.FF8p-15),  // largest subnormal: 1023 × 2⁻²⁴
        (0x0200, 0x1p-15),
        (0x3555, 0.333_251_95),
        (0x3BFF, 0.999_511_72),
        (0x3C01, 1.000_976_6),
        (0x7C00, .infinity),
        (0xFC00, -.infinity),
        (0x0000, 0),
    ])
    func float16KnownValues(bits: UInt16, expected: Float) {
        let value = HalfFloat.float(fromFloat16Bits: bits)
        #expect(value.bitPattern == expected.bitPattern, "0x\(String(bits, radix: 16)) gave \(value), expected \(expected)")
    }

    @Test func float16SignedZeroAndNaNs() {
        let negativeZero = HalfFloat.float(fromFloat16Bits: 0x8000)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        let quiet = HalfFloat.float(fromFloat16Bits: 0x7E00)
        #expect(quiet.isNaN && !quiet.isSignalingNaN)
        #expect(quiet.bitPattern == 0x7FC0_0000)
        // A signalling NaN keeps its payload in the top fraction bits and stays signalling.
        let signalling = HalfFloat.float(fromFloat16Bits: 0x7C01)
        #expect(signalling.bitPattern == 0x7F80_2000)
        #expect(signalling.isSignalingNaN)
        let negativeNaN = HalfFloat.float(fromFloat16Bits: 0xFE01)
        #expect(negativeNaN.isNaN && negativeNaN.sign == .minus)
        #expect(negativeNaN.bitPattern == 0xFFC0_2000)
    }

    /// Every one of the 65,536 patterns against the definition of binary16, evaluated with
    /// float32 arithmetic that is exact for these values.
    @Test func float16AllPatternsMatchTheDefinition() {
        for bits in 0...UInt16.max {
            let value = HalfFloat.float(fromFloat16Bits: bits)
            let sign: FloatingPointSign = bits & 0x8000 != 0 ? .minus : .plus
            let exponent = Int(bits >> 10) & 0x1F
            let fraction = Float(bits & 0x3FF)
            switch exponent {
            case 0:
                #expect(value == Float(sign: sign, exponent: -24, significand: fraction), "0x\(String(bits, radix: 16))")
                #expect(value.sign == sign)
            case 31:
                if fraction == 0 {
                    #expect(value == (sign == .minus ? -Float.infinity : .infinity))
                } else {
                    #expect(value.isNaN && value.sign == sign)
                    #expect(value.bitPattern & 0x007F_FFFF == UInt32(bits & 0x3FF) << 13)
                }
            default:
                #expect(value == Float(sign: sign, exponent: exponent - 15, significand: 1 + fraction / 1024), "0x\(String(bits, radix: 16))")
            }
        }
    }

    #if !(os(macOS) && arch(x86_64))
    /// Where the platform has `Float16`, its conversion must agree bit for bit (NaNs by payload).
    @Test func float16AgreesWithTheStandardLibrary() {
        for bits in 0...UInt16.max {
            let ours = HalfFloat.float(fromFloat16Bits: bits)
            let theirs = Float(Float16(bitPattern: bits))
            if theirs.isNaN {
                #expect(ours.isNaN && ours.sign == theirs.sign)
            } else {
                #expect(ours.bitPattern == theirs.bitPattern, "0x\(String(bits, radix: 16))")
            }
        }
    }
    #endif

    @Test(arguments: [
        (UInt16(0x3F80), Float(1.0)),
        (0xC000, -2.0),
        (0x4049, 3.140625),
        (0x7F7F, 0x1.FEp127),  // largest finite bfloat16
        (0x0080, 0x1p-126),  // smallest normal
        (0x0001, 0x1p-133),  // smallest subnormal
        (0x7F80, .infinity),
        (0xFF80, -.infinity),
        (0x0000, 0),
    ])
    func bfloat16KnownValues(bits: UInt16, expected: Float) {
        #expect(HalfFloat.float(fromBFloat16Bits: bits).bitPattern == expected.bitPattern)
    }

    @Test func bfloat16SignedZeroAndNaN() {
        #expect(HalfFloat.float(fromBFloat16Bits: 0x8000).bitPattern == 0x8000_0000)
        let nan = HalfFloat.float(fromBFloat16Bits: 0x7FC0)
        #expect(nan.isNaN && nan.bitPattern == 0x7FC0_0000)
    }
}
