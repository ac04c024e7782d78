/// The few JSON pieces the runtime writes, without Foundation.
enum JSONText {
    /// A quoted, escaped JSON string: `"`, `\` and control characters (as `\uXXXX`) are escaped.
    static func string(_ text: String) -> String {
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\u{00}"..."\u{1F}", "\u{7F}":
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Swift's shortest round-trip text (`0.1`, `1e-05`, `3.0`), or `null` for NaN and ±infinity,
    /// which JSON cannot hold.
    static func number(_ value: Float) -> String {
        value.isFinite ? value.description : "null"
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? value.description : "null"
    }

    /// `[1, 2, 3]` on one line.
    static func array<S: Sequence>(_ items: S, _ render: (S.Element) -> String) -> String {
        "[" + items.map(render).joined(separator: ", ") + "]"
    }
}
