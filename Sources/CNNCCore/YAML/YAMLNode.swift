/// A YAML node that remembers where it was written, so every later phase can point at it.
public struct YAMLNode: Sendable {
    public enum ScalarStyle: Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded

        /// Quoted and block scalars are always strings (YAML 1.2 core schema).
        public var isPlain: Bool { self == .plain }
    }

    public struct Scalar: Sendable {
        public var text: String
        public var style: ScalarStyle
        /// An explicit tag such as `tag:yaml.org,2002:str` or `!`, when one was written.
        public var tag: String?
    }

    public struct Pair: Sendable {
        public var key: YAMLNode
        public var value: YAMLNode
    }

    public enum Content: Sendable {
        case scalar(Scalar)
        case sequence([YAMLNode])
        case mapping([Pair])
    }

    public var content: Content
    public var range: SourceRange
    /// Nodes in this subtree with aliases expanded; bounds what walking it can cost.
    public var expandedSize: Int

    public init(_ content: Content, range: SourceRange, expandedSize: Int = 1) {
        self.content = content
        self.range = range
        self.expandedSize = expandedSize
    }

    public var scalar: Scalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [Pair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// A plain scalar `~`, `null`, `Null`, `NULL` or nothing at all.
    public var isNull: Bool {
        guard let scalar, scalar.style.isPlain, scalar.tag == nil || scalar.tag == "tag:yaml.org,2002:null" else {
            return false
        }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.text)
    }

    /// How the node reads in a message: `the string "3"`, `a mapping`, `the number 3.5`.
    public var kindDescription: String {
        switch content {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar(let scalar):
            if isNull { return "nothing (null)" }
            switch YAMLScalarValue(scalar) {
            case .string(let text): return "the string \(quoted(text))"
            case .integer: return "the integer \(scalar.text)"
            case .float: return "the number \(scalar.text)"
            case .bool: return "the boolean \(scalar.text)"
            case .null: return "nothing (null)"
            }
        }
    }
}

/// A scalar resolved by the YAML 1.2 core schema: only plain scalars can be numbers, booleans or null.
public enum YAMLScalarValue: Equatable, Sendable {
    case string(String)
    /// Integers keep their digits so out-of-range values can be reported, not trapped on.
    case integer(Int?)
    case float(Double)
    case bool(Bool)
    case null

    public init(_ scalar: YAMLNode.Scalar) {
        let text = scalar.text
        switch scalar.tag {
        case "tag:yaml.org,2002:str", "!":
            self = .string(text)
            return
        case nil, "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:null":
            break
        default:
            self = .string(text)
            return
        }
        guard scalar.style.isPlain || scalar.tag != nil else {
            self = .string(text)
            return
        }
        switch text {
        case "", "~", "null", "Null", "NULL":
            self = .null
            return
        case "true", "True", "TRUE":
            self = .bool(true)
            return
        case "false", "False", "FALSE":
            self = .bool(false)
            return
        default:
            break
        }
        // Most scalars are keys and names: a letter first can be no number (and keeps 10⁵-layer
        // specs fast).
        if let first = text.utf8.first, (first | 0x20) >= UInt8(ascii: "a"), (first | 0x20) <= UInt8(ascii: "z") {
            self = .string(text)
        } else if let integer = Self.parseInteger(text) {
            // `!!float 4` is the float 4.0, not the integer.
            if scalar.tag == "tag:yaml.org,2002:float", let value = Double(text) {
                self = .float(value)
            } else {
                self = integer
            }
        } else if let float = Self.parseFloat(text) {
            self = .float(float)
        } else {
            self = .string(text)
        }
    }

    /// Matches `[-+]?[0-9]+`, `0o[0-7]+` and `0x[0-9a-fA-F]+` as `.integer`, whose value is nil when it
    /// overflows Int; nil when the text is no integer.
    static func parseInteger(_ text: String) -> YAMLScalarValue? {
        var digits = Substring(text).utf8
        var negative = false
        var radix = 10
        if digits.starts(with: "0x".utf8) {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.starts(with: "0o".utf8) {
            radix = 8
            digits = digits.dropFirst(2)
        } else if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            digits = digits.dropFirst()
        }
        func digitValue(_ byte: UInt8) -> Int? {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            default: return nil
            }
            return value < radix ? value : nil
        }
        guard !digits.isEmpty, digits.allSatisfy({ digitValue($0) != nil }) else { return nil }
        var value = 0
        var overflow = false
        for digit in digits {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(digitValue(digit)!)
            overflow = overflow || overflow1 || overflow2
            value = sum
        }
        if overflow { return .integer(nil) }
        return .integer(negative ? -value : value)
    }

    /// Matches the core schema's float forms, `.inf` and `.nan` included.
    static func parseFloat(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // [-+]? ( \.[0-9]+ | [0-9]+ ( \.[0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
        var scalars = Substring(text).unicodeScalars[...]
        if let sign = scalars.first, sign == "-" || sign == "+" { scalars = scalars.dropFirst() }
        func digitRun() -> Int {
            let count = scalars.prefix { ("0"..."9").contains($0) }.count
            scalars = scalars.dropFirst(count)
            return count
        }
        let integerDigits = digitRun()
        var fractionDigits = 0
        if scalars.first == "." {
            scalars = scalars.dropFirst()
            fractionDigits = digitRun()
        }
        guard integerDigits > 0 || fractionDigits > 0 else { return nil }
        if let e = scalars.first, e == "e" || e == "E" {
            scalars = scalars.dropFirst()
            if let sign = scalars.first, sign == "-" || sign == "+" { scalars = scalars.dropFirst() }
            guard digitRun() > 0 else { return nil }
        }
        guard scalars.isEmpty else { return nil }
        return Double(text.hasPrefix("+") ? String(text.dropFirst()) : text)
    }
}
