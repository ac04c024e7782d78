/// A strict JSON (RFC 8259) reader for safetensors headers.
///
/// Written here rather than taken from Foundation because the header needs what general decoders
/// hide: a repeated key is an error (a safetensors file with two entries named `w` is ambiguous),
/// integers are kept exact up to UInt64 (offsets of large files), and every error carries a byte
/// offset. It runs in time linear in the input and refuses nesting deeper than `maximumDepth`,
/// so a hostile header can neither hang nor overflow the stack.
enum HeaderJSON {
    /// Far deeper than a safetensors header needs (3 levels) and far shallower than the stack allows.
    static let maximumDepth = 64

    enum Value {
        case object([Member])
        case array([Value])
        case string(String)
        case number(Number)
        case bool(Bool)
        case null

        /// For messages: "an array", "the string \"F32\"".
        var kindDescription: String {
            switch self {
            case .object: "an object"
            case .array: "an array"
            case .string(let text): "the string \"\(escapedForMessage(text, quote: "\"", limit: 40))\""
            case .number(let number): "the number \(number.text)"
            case .bool(let value): value ? "true" : "false"
            case .null: "null"
            }
        }
    }

    struct Member {
        let key: String
        /// Byte offset of the key's opening quote within the parsed text.
        let keyOffset: Int
        let value: Value
    }

    /// A number as written, with its exact value when it is an integer.
    struct Number {
        /// The literal text, for messages.
        let text: String
        /// True when written without fraction or exponent.
        let isInteger: Bool
        let isNegative: Bool
        /// The absolute value of an integer literal, or nil when it is not an integer or exceeds UInt64.
        let magnitude: UInt64?

        /// The value as a non-negative Int, if it is one.
        var nonNegativeInt: Int? {
            guard isInteger, let magnitude, !isNegative || magnitude == 0 else { return nil }
            return Int(exactly: magnitude)
        }
    }

    struct SyntaxError: Error {
        let message: String
        /// Byte offset within the parsed text.
        let offset: Int
        /// Set when the error is a repeated key (`offset` is then its second occurrence), so that
        /// callers can word it in their own terms: for safetensors, a repeated key in the outermost
        /// object is a tensor name given twice.
        var repeatedKey: RepeatedKey? = nil
    }

    struct RepeatedKey {
        let key: String
        let firstOffset: Int
        let isInOutermostObject: Bool
    }

    /// Parses one JSON value that fills `bytes` apart from surrounding whitespace.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(SyntaxError) -> Value {
        var parser = Parser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 1)
        parser.skipWhitespace()
        guard parser.position == bytes.count else {
            throw SyntaxError(message: "unexpected \(parser.describeCurrent()) after the JSON value", offset: parser.position)
        }
        return value
    }

    /// The offset of the first byte that is not part of well-formed UTF-8 (no overlong forms, no
    /// surrogates, nothing above U+10FFFF), or nil when all of `bytes` is valid.
    static func firstInvalidUTF8Offset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lowerBound: UInt8 = 0x80  // allowed range of the second byte, to exclude overlong
            var upperBound: UInt8 = 0xBF  // forms, surrogates and code points above U+10FFFF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lowerBound = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upperBound = 0x9F
            case 0xF0: length = 4; lowerBound = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upperBound = 0x8F
            default: return index
            }
            guard index + length <= count else { return index }
            let second = bytes[index + 1]
            guard second >= lowerBound, second <= upperBound else { return index }
            for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 {
                return index
            }
            index += length
        }
        return nil
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        func describeCurrent() -> String {
            guard position < bytes.count else { return "the end of the header" }
            let byte = bytes[position]
            if byte >= 0x21, byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "byte 0x" + String(byte, radix: 16, uppercase: true)
        }

        func error(_ message: String, at offset: Int? = nil) -> SyntaxError {
            SyntaxError(message: message, offset: offset ?? position)
        }

        mutating func parseValue(depth: Int) throws(SyntaxError) -> Value {
            guard position < bytes.count else { throw error("expected a JSON value, found \(describeCurrent())") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            default: throw error("expected a JSON value, found \(describeCurrent())")
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(SyntaxError) {
            let start = position
            let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
            for expected in text {
                guard position < bytes.count, bytes[position] == expected else {
                    throw error("invalid literal, expected '\(literal)'", at: start)
                }
                position += 1
            }
        }

        func checkDepth(_ depth: Int) throws(SyntaxError) {
            guard depth <= HeaderJSON.maximumDepth else {
                throw error("nesting deeper than \(HeaderJSON.maximumDepth) levels")
            }
        }

        mutating func parseObject(depth: Int) throws(SyntaxError) -> Value {
            try checkDepth(depth)
            position += 1  // {
            var members: [Member] = []
            // Offsets of keys seen so far, to report a repeated key with both places.
            var seenKeys: [String: Int] = [:]
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw error("expected a string key in object, found \(describeCurrent())")
                }
                let keyOffset = position
                let key = try parseString()
                if let firstOffset = seenKeys.updateValue(keyOffset, forKey: key) {
                    var repeated = error("key \(quotedName(key)) appears twice in one object", at: keyOffset)
                    repeated.repeatedKey = RepeatedKey(key: key, firstOffset: firstOffset, isInOutermostObject: depth == 1)
                    throw repeated
                }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                    throw error("expected ':' after object key, found \(describeCurrent())")
                }
                position += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                members.append(Member(key: key, keyOffset: keyOffset, value: value))
                skipWhitespace()
                guard position < bytes.count else { throw error("unterminated object, expected ',' or '}'") }
                switch bytes[position] {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"): position += 1; return .object(members)
                default: throw error("expected ',' or '}' in object, found \(describeCurrent())")
                }
            }
        }

        mutating func parseArray(depth: Int) throws(SyntaxError) -> Value {
            try checkDepth(depth)
            position += 1  // [
            var elements: [Value] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw error("unterminated array, expected ',' or ']'") }
                switch bytes[position] {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"): position += 1; return .array(elements)
                default: throw error("expected ',' or ']' in array, found \(describeCurrent())")
                }
            }
        }

        /// Parses a string starting at its opening quote. The text is already known to be valid
        /// UTF-8, so unescaped runs are decoded as they are.
        mutating func parseString() throws(SyntaxError) -> String {
            let start = position
            position += 1  // "
            var decoded: [UInt8] = []
            var runStart = position
            while true {
                guard position < bytes.count else { throw error("unterminated string", at: start) }
                let byte = bytes[position]
                switch byte {
                case UInt8(ascii: "\""):
                    let run = UnsafeBufferPointer(rebasing: bytes[runStart..<position])
                    position += 1
                    if decoded.isEmpty { return String(decoding: run, as: UTF8.self) }
                    decoded.append(contentsOf: run)
                    return String(decoding: decoded, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position]))
                    try parseEscape(into: &decoded)
                    runStart = position
                case 0x00..<0x20:
                    throw error("control character 0x\(String(byte, radix: 16, uppercase: true)) in string must be escaped")
                default:
                    position += 1
                }
            }
        }

        /// Parses one escape sequence starting at its backslash and appends its UTF-8 bytes.
        mutating func parseEscape(into decoded: inout [UInt8]) throws(SyntaxError) {
            let start = position
            position += 1  // backslash
            guard position < bytes.count else { throw error("unterminated string", at: start) }
            let letter = bytes[position]
            position += 1
            switch letter {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(letter)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalarValue = try parseHexQuad(escapeStart: start)
                if (0xD800...0xDBFF).contains(scalarValue) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                          bytes[position + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate in \\u escape", at: start)
                    }
                    position += 2
                    let low = try parseHexQuad(escapeStart: start)
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate in \\u escape", at: start) }
                    scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalarValue) {
                    throw error("unpaired surrogate in \\u escape", at: start)
                }
                // Every value left is a valid scalar: surrogates were excluded above.
                decoded.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalarValue)!)!)
            default:
                throw error("invalid escape sequence in string", at: start)
            }
        }

        mutating func parseHexQuad(escapeStart: Int) throws(SyntaxError) -> UInt32 {
            guard position + 4 <= bytes.count else { throw error("incomplete \\u escape", at: escapeStart) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[position]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw error("invalid hex digit in \\u escape", at: escapeStart)
                }
                value = value << 4 | UInt32(digit)
                position += 1
            }
            return value
        }

        /// Parses `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, keeping integers exact.
        mutating func parseNumber() throws(SyntaxError) -> Number {
            let start = position
            let isNegative = bytes[position] == UInt8(ascii: "-")
            if isNegative { position += 1 }
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw error("invalid number: expected a digit", at: position)
            }
            var magnitude: UInt64? = 0
            if bytes[position] == UInt8(ascii: "0") {
                position += 1
                if position < bytes.count, isDigit(bytes[position]) {
                    throw error("invalid number: leading zero", at: start)
                }
            } else {
                while position < bytes.count, isDigit(bytes[position]) {
                    if let current = magnitude {
                        let (times10, overflow1) = current.multipliedReportingOverflow(by: 10)
                        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
                        magnitude = overflow1 || overflow2 ? nil : sum
                    }
                    position += 1
                }
            }
            var isInteger = true
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                isInteger = false
                position += 1
                guard position < bytes.count, isDigit(bytes[position]) else {
                    throw error("invalid number: expected a digit after '.'")
                }
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                isInteger = false
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                    position += 1
                }
                guard position < bytes.count, isDigit(bytes[position]) else {
                    throw error("invalid number: expected a digit in the exponent")
                }
                while position < bytes.count, isDigit(bytes[position]) { position += 1 }
            }
            let textEnd = min(position, start + 40)  // long literals are shortened in messages
            var text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<textEnd]), as: UTF8.self)
            if textEnd < position { text += "…" }
            return Number(text: text, isInteger: isInteger, isNegative: isNegative, magnitude: isInteger ? magnitude : nil)
        }

        func isDigit(_ byte: UInt8) -> Bool {
            byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        }
    }
}
