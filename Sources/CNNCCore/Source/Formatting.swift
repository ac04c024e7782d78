/// Digits grouped by thousands, for messages and summaries: `61,706`.
extension BinaryInteger {
    public var grouped: String {
        let digits = String(magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (self < 0 ? "-" : "") + out
    }
}

/// `text` as a Swift string literal: quotes, backslashes and control characters escaped. Messages use
/// it to show user text unambiguously, and the code generator to put user text into source safely.
public func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\0": out += "\\0"
        default:
            if scalar.properties.generalCategory == .control || scalar.value == 0x2028 || scalar.value == 0x2029 {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// Whether a scalar must not reach a terminal as it is: control characters (escape sequences, NUL,
/// line breaks), the Unicode line and paragraph separators, and the bidirectional controls that can
/// make text read backwards (`rtl\u{202E}lmay.exe`).
public func isUnsafeToDisplay(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
    default: return scalar.properties.generalCategory == .control
    }
}

/// A message safe to print: every scalar `isUnsafeToDisplay` shows as `\u{…}`. Every diagnostic and
/// one-line error goes through it, because messages quote file content (tensor names, labels, YAML
/// scalars, paths).
public func displaySafe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isUnsafeToDisplay) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if isUnsafeToDisplay(scalar) {
            out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
        } else {
            out.append(scalar)
        }
    }
    return String(out)
}
