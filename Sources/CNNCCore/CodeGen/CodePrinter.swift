/// The only way generated text is written: lines at the current indentation.
public struct CodePrinter {
    public private(set) var text = ""
    private var level = 0
    private let unit: String

    public init(indentUnit: String = "    ") {
        unit = indentUnit
    }

    /// One line (or several, each indented); an empty string gives an empty line.
    public mutating func print(_ line: String = "") {
        for part in line.split(separator: "\n", omittingEmptySubsequences: false) {
            text += part.isEmpty ? "\n" : String(repeating: unit, count: level) + part + "\n"
        }
    }

    public mutating func indent() { level += 1 }
    public mutating func outdent() { level = max(0, level - 1) }

    public mutating func withIndentation(_ body: (inout CodePrinter) -> Void) {
        indent()
        body(&self)
        outdent()
    }

    /// `header {`, the indented body, `}`.
    public mutating func block(_ header: String, _ body: (inout CodePrinter) -> Void) {
        print(header + " {")
        withIndentation(body)
        print("}")
    }
}

/// Text made safe for a `//` comment: line breaks and other control characters are shown escaped, so
/// a user's name can never end the comment and start code.
func commentSafe(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\u{2028}", "\u{2029}", "\u{85}": out += "\\u{\(String(scalar.value, radix: 16))}"
        default:
            if scalar.properties.generalCategory == .control {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}

/// A Swift float literal that reads back as exactly `value` (Swift prints the shortest such digits).
func swiftFloatLiteral(_ value: Float) -> String {
    let text = value.description
    return text.contains(".") || text.contains("e") || text.contains("n") ? text : text + ".0"
}

/// The labels as one string literal split when the program starts: an array literal of thousands of
/// strings takes the type checker minutes. Labels hold no control characters (the decoder refuses
/// them), so a line break separates them.
func labelsExpression(_ labels: [String]?) -> String {
    guard let labels else { return "nil" }
    return "\(quoted(labels.joined(separator: "\n"))).split(separator: \"\\n\", omittingEmptySubsequences: false).map(String.init)"
}
