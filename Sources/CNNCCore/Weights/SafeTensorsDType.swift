/// The element types a safetensors header may name, spelled as in the format
/// (the list of the reference `safetensors` package, version 0.8).
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case float4 = "F4"
    case float6E2M3 = "F6_E2M3"
    case float6E3M2 = "F6_E3M2"
    case uint8 = "U8"
    case int8 = "I8"
    case float8E5M2 = "F8_E5M2"
    case float8E4M3 = "F8_E4M3"
    case float8E8M0 = "F8_E8M0"
    case float8E4M3FNUZ = "F8_E4M3FNUZ"
    case float8E5M2FNUZ = "F8_E5M2FNUZ"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case complex64 = "C64"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"

    /// Bits per element. The sub-byte types (F4, F6_*) pack elements, so a tensor of them must
    /// hold a whole number of bytes.
    public var bitWidth: Int {
        switch self {
        case .float4: 4
        case .float6E2M3, .float6E3M2: 6
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3, .float8E8M0, .float8E4M3FNUZ, .float8E5M2FNUZ: 8
        case .int16, .uint16, .float16, .bfloat16: 16
        case .int32, .uint32, .float32: 32
        case .complex64, .float64, .int64, .uint64: 64
        }
    }

    /// Whether `SafeTensorsFile.floats(_:)` converts this type: F32 as stored, F16, BF16 and F64
    /// converted exactly or rounded to nearest. The others are parsed and validated but not
    /// converted: integer and boolean tensors (such as PyTorch's `num_batches_tracked`) are not
    /// weights, and the 8-bit and smaller float formats have no agreed-upon conversion rules yet.
    public var isConvertibleToFloat: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: true
        default: false
        }
    }
}
