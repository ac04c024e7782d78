/// A 1-based line and column. Columns count Unicode scalars, as libyaml's marks do.
public struct SourcePosition: Hashable, Comparable, Sendable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// The span of a token or node in one file; `end` is exclusive.
public struct SourceRange: Hashable, Sendable {
    public var start: SourcePosition
    public var end: SourcePosition

    public init(start: SourcePosition, end: SourcePosition) {
        self.start = start
        self.end = end
    }

    public init(at position: SourcePosition) {
        self.init(start: position, end: position)
    }
}

/// A range in a named file: what a diagnostic points at.
public struct SourceLocation: Hashable, Comparable, Sendable {
    public var path: String
    public var range: SourceRange

    public init(path: String, range: SourceRange) {
        self.path = path
        self.range = range
    }

    public var start: SourcePosition { range.start }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.path, a.range.start.line, a.range.start.column) < (b.path, b.range.start.line, b.range.start.column)
    }
}

/// The text of one input file, kept so diagnostics can quote the offending line.
public struct SourceFile: Sendable {
    /// The path as the user gave it; diagnostics print it unchanged so editors can follow it.
    public let path: String
    /// The file's bytes as read, before any validation.
    public let bytes: [UInt8]

    /// Byte offset where each line starts; built once so quoting lines stays linear in the file size.
    private let lineStarts: [Int]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        var starts = [0]
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            starts.append(index + 1)
        }
        lineStarts = starts
    }

    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// Whether the file starts with a UTF-8 byte order mark, which is not part of the text.
    public var hasByteOrderMark: Bool { bytes.starts(with: [0xEF, 0xBB, 0xBF]) }

    /// The text of 1-based `line` without its line break (or byte order mark), decoding invalid UTF-8
    /// leniently.
    public func lineText(_ line: Int) -> String? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        var start = lineStarts[line - 1]
        if line == 1, hasByteOrderMark { start = 3 }
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// The position of the first byte that is not valid UTF-8, or nil when the whole file is valid.
    public func firstInvalidUTF8() -> (position: SourcePosition, byte: UInt8)? {
        var line = 1
        var column = 1
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return (SourcePosition(line: line, column: column), lead)
            }
            guard index + length <= bytes.count else {
                return (SourcePosition(line: line, column: column), lead)
            }
            for offset in 1..<length where bytes[index + offset] & 0xC0 != 0x80 {
                return (SourcePosition(line: line, column: column), lead)
            }
            if length >= 3 {
                // Reject overlong forms, surrogates and code points above U+10FFFF.
                let second = bytes[index + 1]
                let invalid = (lead == 0xE0 && second < 0xA0) || (lead == 0xED && second > 0x9F)
                    || (lead == 0xF0 && second < 0x90) || (lead == 0xF4 && second > 0x8F)
                if invalid { return (SourcePosition(line: line, column: column), lead) }
            }
            if lead == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += length
        }
        return nil
    }
}
