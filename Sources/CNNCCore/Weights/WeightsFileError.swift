#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A problem with a weights file, as one line that names the file and says what is wrong:
/// `model.safetensors: header length 18446744073709551615 runs past the end of the 1,024-byte file`.
///
/// `problem` classifies the failure so callers and tests can react to the kind without parsing text.
public struct WeightsFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// The file could not be opened or read (missing, a directory, permission denied, I/O error).
        case cannotRead
        /// The file could not be written (directory missing, disk full, permission denied).
        case cannotWrite
        /// Not safetensors but another format recognised by its first bytes (a PyTorch checkpoint, an
        /// ONNX model).
        case otherFormat
        /// Fewer than the 8 bytes that hold the header length.
        case fileTooShort
        /// The header length points past the end of the file.
        case headerLengthPastEnd
        /// The header length is above `SafeTensorsFile.maximumHeaderBytes`.
        case headerTooLarge
        case headerNotUTF8
        /// A JSON syntax error, too deep nesting, or a key repeated inside an entry or `__metadata__`.
        case headerNotJSON
        /// The header is valid JSON but not an object.
        case headerNotObject
        /// The same tensor name is a key twice in the header object.
        case duplicateTensorName
        /// A tensor entry is not an object, or lacks `dtype`, `shape` or `data_offsets`, or one of them has the wrong type.
        case invalidTensorEntry
        /// A shape dimension is negative or not an integer.
        case invalidShape
        /// A shape dimension, the element count or the size in bits does not fit in a 64-bit integer.
        case shapeOverflow
        case unknownDType
        /// `data_offsets` is not two non-negative integers, or begin > end.
        case invalidDataOffsets
        /// `data_offsets` ends beyond the data section.
        case dataOffsetsPastEnd
        /// The byte range's size differs from shape × dtype size (or is not whole bytes for sub-byte dtypes).
        case dataSizeMismatch
        case overlappingTensors
        /// `__metadata__` is not an object whose values are all strings.
        case invalidMetadata
        case noSuchTensor
        /// A tensor's dtype cannot be converted to float32.
        case unsupportedDType
        /// The writer was given tensors it cannot store (shape and value count differ, repeated or reserved names).
        case invalidTensor
    }

    /// The file as the caller named it.
    public let path: String
    public let problem: Problem
    /// The whole one-line message, starting with the path.
    public let message: String

    public init(path: String, problem: Problem, detail: String) {
        self.path = path
        self.problem = problem
        self.message = "\(path): \(detail)"
    }

    public var description: String { message }

    /// An error for a failed system call, with the C library's text for `errno`.
    static func system(_ path: String, _ problem: Problem, _ action: String, errorNumber: Int32 = errno) -> WeightsFileError {
        WeightsFileError(path: path, problem: problem, detail: "cannot \(action): \(String(cString: strerror(errorNumber)))")
    }
}

/// A name from a file, quoted for a one-line message: `'conv1.weight'`.
func quotedName(_ name: String) -> String {
    "'" + escapedForMessage(name, quote: "'") + "'"
}

/// Text from a file made safe for a one-line message: control characters and the quote character
/// are escaped so a hostile name cannot break the line, and very long text is shortened.
func escapedForMessage(_ text: String, quote: Unicode.Scalar, limit: Int = 120) -> String {
    var out = ""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            out += "…"
            break
        }
        count += 1
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\\": out += "\\\\"
        case quote: out += "\\" + String(quote)
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}" || scalar == "\u{85}" {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}
