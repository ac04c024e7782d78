/// Conversions of 16-bit float formats to float32 by bit manipulation.
///
/// Swift's `Float16` is unavailable on some platforms (macOS on Intel) and its conversions may go
/// through hardware; these functions give the same bits everywhere. Every float16 and bfloat16
/// value is exactly representable as a float32, so the conversions are exact: signed zeros,
/// subnormals, infinities and NaN payloads (the quiet bit included) all carry over.
public enum HalfFloat {
    /// The float32 with the value of an IEEE 754 binary16 bit pattern
    /// (1 sign bit, 5 exponent bits with bias 15, 10 fraction bits).
    public static func float(fromFloat16Bits bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let fraction = UInt32(bits & 0x03FF)
        switch exponent {
        case 0 where fraction == 0:
            return Float(bitPattern: sign)
        case 0:
            // Subnormal: fraction × 2⁻²⁴. Shift the fraction up until its leading 1 reaches the
            // implicit-bit position (bit 10), lowering the exponent by one for every shift; the
            // float32 result is normal.
            var shifted = fraction
            var float32Exponent: UInt32 = 127 - 15 + 1
            while shifted & 0x0400 == 0 {
                shifted <<= 1
                float32Exponent -= 1
            }
            return Float(bitPattern: sign | float32Exponent << 23 | (shifted & 0x03FF) << 13)
        case 0x1F:
            // Infinity (fraction 0) or NaN, with the fraction (payload and quiet bit) kept in place.
            return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
        default:
            return Float(bitPattern: sign | (exponent + 127 - 15) << 23 | fraction << 13)
        }
    }

    /// The float32 with the value of a bfloat16 bit pattern, which is the upper half of a float32.
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
