/// A JSON document with keys in the order they were given, so output is stable and diffable.
public indirect enum JSONValue: Equatable, Sendable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case integer(Int)
    case number(Double)
    /// A float32 value, printed with its own shortest round-trip digits (0.01, not 0.009999999776).
    case float(Float)
    case bool(Bool)
    case null

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        a.rendered() == b.rendered()
    }

    /// Pretty-printed with two-space indentation; short arrays of scalars stay on one line.
    public func rendered(indent: Int = 0) -> String {
        var out: [UInt8] = []
        render(into: &out, indent: indent)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends UTF-8 to one buffer: a document of 10⁵ layers is built once, not copied at every
    /// level, and without String's per-append bookkeeping (half the time of a large summary).
    private func render(into out: inout [UInt8], indent: Int) {
        func pad(_ level: Int) {
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        func append(_ text: StaticString) {
            out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        switch self {
        case .object(let members):
            if members.isEmpty { append("{}"); return }
            append("{\n")
            for (index, member) in members.enumerated() {
                pad(indent + 1)
                JSONValue.escape(member.0, into: &out)
                append(": ")
                member.1.render(into: &out, indent: indent + 1)
                append(index + 1 < members.count ? ",\n" : "\n")
            }
            pad(indent)
            append("}")
        case .array(let items):
            if items.isEmpty { append("[]"); return }
            if items.allSatisfy(\.isScalar) {
                append("[")
                for (index, item) in items.enumerated() {
                    if index > 0 { append(", ") }
                    item.render(into: &out, indent: 0)
                }
                append("]")
                return
            }
            append("[\n")
            for (index, item) in items.enumerated() {
                pad(indent + 1)
                item.render(into: &out, indent: indent + 1)
                append(index + 1 < items.count ? ",\n" : "\n")
            }
            pad(indent)
            append("]")
        case .string(let text): JSONValue.escape(text, into: &out)
        case .integer(let value): out.append(contentsOf: String(value).utf8)
        case .number(let value):
            if !value.isFinite { append("null") }
            else if value == value.rounded(), abs(value) < 1e15 { out.append(contentsOf: String(Int(value)).utf8); append(".0") }
            else { out.append(contentsOf: String(value).utf8) }
        case .float(let value): out.append(contentsOf: (value.isFinite ? value.description : "null").utf8)
        case .bool(let value): append(value ? "true" : "false")
        case .null: append("null")
        }
    }

    private var isScalar: Bool {
        switch self {
        case .object, .array: false
        default: true
        }
    }

    public static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        escape(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func escape(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: no quote, backslash, control character, DEL, or 0xE2 (the
        // lead byte of U+2028 and U+2029, which JavaScript cannot take raw).
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && $0 != 0x7F && $0 != 0xE2 }) {
            out.append(contentsOf: text.utf8)
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out.append(contentsOf: #"\""#.utf8)
                case "\\": out.append(contentsOf: #"\\"#.utf8)
                case "\n": out.append(contentsOf: #"\n"#.utf8)
                case "\r": out.append(contentsOf: #"\r"#.utf8)
                case "\t": out.append(contentsOf: #"\t"#.utf8)
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}" {
                        out.append(contentsOf: ("\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)).utf8)
                    } else {
                        out.append(contentsOf: String(scalar).utf8)
                    }
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
