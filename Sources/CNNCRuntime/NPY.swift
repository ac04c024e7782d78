#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An array read from a `.npy` file, converted to float32, C order.
public struct NPYArray: Hashable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

/// NumPy's `.npy` format, versions 1.0, 2.0 and 3.0.
///
/// Reads dtypes `<f4`, `<f8` and `|u1` (also spelt `u1`, `<u1`, `>u1`, `=u1`), C order only.
/// Big-endian `>f4` and `>f8` are byte-swapped while reading. uint8 values become the floats 0…255,
/// unscaled. Writes float32 (`<f4`), version 1.0, with the header padded to a multiple of 64 bytes
/// as NumPy does.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    public static func read(path: String) throws(RuntimeError) -> NPYArray {
        try decode(FileIO.readAll(path: path), name: path)
    }

    /// Decodes the bytes of a `.npy` file; `name` is used in error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws(RuntimeError) -> NPYArray {
        func problem(_ text: String) -> RuntimeError { RuntimeError(path: name, text) }

        guard bytes.count >= magic.count else {
            if bytes.elementsEqual(magic.prefix(bytes.count)) && !bytes.isEmpty {
                throw problem("truncated .npy header (file has only \(bytes.count) bytes)")
            }
            throw problem("not a NumPy .npy file (bad magic)")
        }
        guard bytes[0..<magic.count].elementsEqual(magic) else {
            throw problem("not a NumPy .npy file (bad magic)")
        }
        guard bytes.count >= 8 else { throw problem("truncated .npy header (no version)") }
        let major = bytes[6], minor = bytes[7]
        let headerStart: Int, headerLength: Int
        switch (major, minor) {
        case (1, 0):
            guard bytes.count >= 10 else { throw problem("truncated .npy header (no header length)") }
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case (2, 0), (3, 0):
            guard bytes.count >= 12 else { throw problem("truncated .npy header (no header length)") }
            headerStart = 12
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        default:
            throw problem("unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)")
        }
        let dataStart = headerStart + headerLength  // at most 12 + 2^32: cannot overflow
        guard dataStart <= bytes.count else {
            throw problem("truncated .npy header (header needs \(dataStart) bytes, file has \(bytes.count))")
        }

        let header: NPYHeader
        do {
            header = try NPYHeader.parse(bytes[headerStart..<dataStart])
        } catch {
            throw problem("bad .npy header: \(error.reason)")
        }

        guard let dtype = NPYDType(descr: header.descr) else {
            throw problem("unsupported dtype '\(header.descr)' (supported: <f4, <f8, |u1)")
        }
        if header.fortranOrder {
            throw problem("Fortran-ordered arrays are not supported; save a C-ordered array (numpy.ascontiguousarray)")
        }
        guard let elementCount = checkedProduct(header.shape) else {
            throw problem("shape \(shapeText(header.shape)) is too large")
        }
        let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dtype.size)
        if overflow { throw problem("shape \(shapeText(header.shape)) is too large") }
        let available = bytes.count - dataStart
        if available < byteCount {
            throw problem(
                "data is truncated: shape \(shapeText(header.shape)) of \(header.descr) needs \(byteCount) bytes, found \(available)")
        }
        if available > byteCount {
            throw problem(
                "data is longer than its shape: shape \(shapeText(header.shape)) of \(header.descr) needs \(byteCount) bytes, found \(available)")
        }

        let values = bytes.withUnsafeBytes { raw in
            dtype.convert(UnsafeRawBufferPointer(rebasing: raw[dataStart...]), count: elementCount)
        }
        return NPYArray(shape: header.shape, values: values)
    }

    /// Writes float32 values of the given shape, C order, atomically.
    public static func write(path: String, shape: [Int], values: [Float]) throws(RuntimeError) {
        try FileIO.writeOutput(path: path, bytes: encode(shape: shape, values: values, name: path))
    }

    /// The bytes of a float32 `.npy` file, version 1.0 (2.0 only for a header beyond 64 KiB).
    public static func encode(shape: [Int], values: [Float], name: String = "npy") throws(RuntimeError) -> [UInt8] {
        guard let count = checkedProduct(shape), count == values.count else {
            throw RuntimeError(path: name, "shape \(shapeText(shape)) does not hold \(values.count) values")
        }
        let tuple = shape.count == 1
            ? "(\(shape[0]),)"
            : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }"
        // NumPy pads with spaces and ends with a newline so that the data starts 64-byte aligned;
        // version 1.0 has a 16-bit header length, so a longer header needs version 2.0.
        func paddedHeaderLength(prefix: Int) -> Int {
            let unpadded = prefix + dict.utf8.count + 1
            return (unpadded + 63) / 64 * 64 - prefix
        }
        let prefixLength = paddedHeaderLength(prefix: 10) <= 0xFFFF ? 10 : 12
        let headerLength = paddedHeaderLength(prefix: prefixLength)
        let header = dict + String(repeating: " ", count: headerLength - dict.utf8.count - 1) + "\n"

        var bytes: [UInt8] = []
        bytes.reserveCapacity(prefixLength + headerLength + values.count * 4)
        bytes += magic
        if prefixLength == 10 {
            bytes += [1, 0, UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
        } else {
            bytes += [2, 0] + (0..<4).map { UInt8((headerLength >> (8 * $0)) & 0xFF) }
        }
        bytes += header.utf8
        appendLittleEndianFloats(values, to: &bytes)
        return bytes
    }
}

/// Appends float32 values in little-endian byte order.
func appendLittleEndianFloats(_ values: [Float], to bytes: inout [UInt8]) {
    #if _endian(little)
    values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    #else
    for value in values {
        let bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
    }
    #endif
}

/// Float32 values from little-endian bytes (`raw.count` must be `4 * count`).
func littleEndianFloats(_ raw: UnsafeRawBufferPointer, count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        #if _endian(little)
        if count > 0 { memcpy(buffer.baseAddress!, raw.baseAddress!, count * 4) }
        #else
        for index in 0..<count {
            buffer[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
        }
        #endif
        initialized = count
    }
}

/// The element types the reader converts to float32.
enum NPYDType {
    case float32(bigEndian: Bool)
    case float64(bigEndian: Bool)
    case uint8

    init?(descr: String) {
        switch descr {
        case "<f4": self = .float32(bigEndian: false)
        case ">f4": self = .float32(bigEndian: true)
        case "<f8": self = .float64(bigEndian: false)
        case ">f8": self = .float64(bigEndian: true)
        case "|u1", "u1", "<u1", ">u1", "=u1": self = .uint8
        default: return nil
        }
    }

    var size: Int {
        switch self {
        case .float32: 4
        case .float64: 8
        case .uint8: 1
        }
    }

    func convert(_ raw: UnsafeRawBufferPointer, count: Int) -> [Float] {
        switch self {
        case .float32(bigEndian: false):
            return littleEndianFloats(raw, count: count)
        case .float32(bigEndian: true):
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                    buffer[index] = Float(bitPattern: UInt32(bigEndian: bits))
                }
                initialized = count
            }
        case .float64(let bigEndian):
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
                    buffer[index] = Float(Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits)))
                }
                initialized = count
            }
        case .uint8:
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count { buffer[index] = Float(raw[index]) }
                initialized = count
            }
        }
    }
}

/// The header dict of a `.npy` file, e.g. `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 28, 28), }`.
struct NPYHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]

    struct Problem: Error {
        let reason: String
    }

    static func parse(_ text: ArraySlice<UInt8>) throws(Problem) -> NPYHeader {
        var parser = PythonLiteralParser(bytes: Array(text))
        let entries = try parser.parseHeaderDict()
        var descr: String?, fortranOrder: Bool?, shape: [Int]?
        for (key, value) in entries {
            switch key {
            case "descr":
                guard descr == nil else { throw Problem(reason: "key 'descr' appears twice") }
                switch value {
                case .string(let text): descr = text
                case .list: throw Problem(reason: "structured dtypes are not supported")
                default: throw Problem(reason: "'descr' is not a string")
                }
            case "fortran_order":
                guard fortranOrder == nil else { throw Problem(reason: "key 'fortran_order' appears twice") }
                guard case .bool(let flag) = value else { throw Problem(reason: "'fortran_order' is not True or False") }
                fortranOrder = flag
            case "shape":
                guard shape == nil else { throw Problem(reason: "key 'shape' appears twice") }
                let items: [PythonLiteral]
                switch value {
                case .tuple(let list), .list(let list): items = list
                default: throw Problem(reason: "'shape' is not a tuple")
                }
                var dimensions: [Int] = []
                for item in items {
                    guard case .int(let dimension) = item else { throw Problem(reason: "'shape' holds a non-integer") }
                    guard dimension >= 0 else { throw Problem(reason: "'shape' holds a negative dimension \(dimension)") }
                    dimensions.append(dimension)
                }
                shape = dimensions
            default:
                throw Problem(reason: "unexpected key '\(key)'")
            }
        }
        guard let descr else { throw Problem(reason: "missing key 'descr'") }
        guard let fortranOrder else { throw Problem(reason: "missing key 'fortran_order'") }
        guard let shape else { throw Problem(reason: "missing key 'shape'") }
        return NPYHeader(descr: descr, fortranOrder: fortranOrder, shape: shape)
    }
}

/// The Python literals a `.npy` header may hold.
enum PythonLiteral {
    case string(String)
    case bool(Bool)
    case none
    case int(Int)
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dict([(String, PythonLiteral)])
}

/// A small recursive-descent parser for the Python-literal dict of a `.npy` header. It tolerates
/// any whitespace and trailing commas, as `ast.literal_eval` does.
struct PythonLiteralParser {
    let bytes: [UInt8]
    var position = 0
    private var depth = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    typealias Problem = NPYHeader.Problem

    /// The whole header: one dict, then only whitespace.
    mutating func parseHeaderDict() throws(Problem) -> [(String, PythonLiteral)] {
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else { throw Problem(reason: "expected '{' at the start") }
        guard case .dict(let entries) = try parseValue() else { throw Problem(reason: "expected a dict") }
        skipWhitespace()
        if position < bytes.count {
            throw Problem(reason: "unexpected \(describe(bytes[position])) after the dict")
        }
        return entries
    }

    private var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C {
            position += 1
        }
    }

    private func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private mutating func expect(_ character: Character, _ context: String) throws(Problem) {
        skipWhitespace()
        guard let byte = peek else { throw Problem(reason: "unexpected end of header, expected '\(character)' \(context)") }
        guard byte == character.asciiValue! else {
            throw Problem(reason: "expected '\(character)' \(context), found \(describe(byte))")
        }
        position += 1
    }

    mutating func parseValue() throws(Problem) -> PythonLiteral {
        skipWhitespace()
        guard let byte = peek else { throw Problem(reason: "unexpected end of header") }
        switch byte {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"), UInt8(ascii: "("), UInt8(ascii: "["):
            // Bounds the nesting so that a hostile header cannot exhaust the stack.
            depth += 1
            defer { depth -= 1 }
            guard depth <= 32 else { throw Problem(reason: "nested too deeply") }
            if byte == UInt8(ascii: "{") { return try parseDict() }
            if byte == UInt8(ascii: "[") { return .list(try parseSequence(closing: "]").items) }
            let (items, sawComma) = try parseSequence(closing: ")")
            // `(5)` is just 5 in Python; only `(5,)` is a tuple.
            return items.count == 1 && !sawComma ? items[0] : .tuple(items)
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .int(try parseInteger())
        default:
            let word = parseWord()
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            case "": throw Problem(reason: "unexpected \(describe(byte))")
            default: throw Problem(reason: "unexpected '\(word)'")
            }
        }
    }

    private mutating func parseDict() throws(Problem) -> PythonLiteral {
        try expect("{", "")
        var entries: [(String, PythonLiteral)] = []
        while true {
            skipWhitespace()
            if peek == UInt8(ascii: "}") { position += 1; return .dict(entries) }
            guard peek == UInt8(ascii: "'") || peek == UInt8(ascii: "\"") else {
                if let byte = peek { throw Problem(reason: "expected a quoted key, found \(describe(byte))") }
                throw Problem(reason: "unexpected end of header inside the dict")
            }
            let key = try parseString()
            try expect(":", "after key '\(key)'")
            entries.append((key, try parseValue()))
            skipWhitespace()
            if peek == UInt8(ascii: ",") { position += 1; continue }
            try expect("}", "after the value of '\(key)'")
            return .dict(entries)
        }
    }

    private mutating func parseSequence(closing: Character) throws(Problem) -> (items: [PythonLiteral], sawComma: Bool) {
        position += 1  // the opening bracket
        var items: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            if peek == closing.asciiValue { position += 1; return (items, sawComma) }
            items.append(try parseValue())
            skipWhitespace()
            if peek == UInt8(ascii: ",") { position += 1; sawComma = true; continue }
            try expect(closing, "to close the sequence")
            return (items, sawComma)
        }
    }

    private mutating func parseString() throws(Problem) -> String {
        let quote = bytes[position]
        position += 1
        var content: [UInt8] = []
        while let byte = peek {
            position += 1
            if byte == quote { return String(decoding: content, as: UTF8.self) }
            if byte == UInt8(ascii: "\\") {
                guard let escaped = peek else { break }
                position += 1
                content.append(escaped)
            } else {
                content.append(byte)
            }
        }
        throw Problem(reason: "unterminated string")
    }

    private mutating func parseInteger() throws(Problem) -> Int {
        var negative = false
        if peek == UInt8(ascii: "-") || peek == UInt8(ascii: "+") {
            negative = peek == UInt8(ascii: "-")
            position += 1
        }
        let start = position
        var value = 0
        var overflow = false
        while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            position += 1
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            overflow = overflow || o1 || o2
            value = sum
        }
        let digits = String(decoding: bytes[start..<position], as: UTF8.self)
        guard !digits.isEmpty else { throw Problem(reason: "expected digits after the sign") }
        if peek == UInt8(ascii: "L") || peek == UInt8(ascii: "l") { position += 1 }  // Python 2 long
        if overflow { throw Problem(reason: "integer \(negative ? "-" : "")\(digits) is too large") }
        return negative ? -value : value
    }

    private mutating func parseWord() -> String {
        let start = position
        while let byte = peek,
              (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || byte == UInt8(ascii: "_") {
            position += 1
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }
}
