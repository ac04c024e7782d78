/// Prints diagnostics as clang and swiftc do:
///
///     models/bad.yaml:14:18: error: message
///         - conv: {in_channels: 3, channels: 8, kernel: 3}
///                               ^
public struct DiagnosticRenderer: Sendable {
    /// Files whose lines can be quoted, by path.
    public var files: [String: SourceFile]
    /// ANSI colours, for a terminal.
    public var colored: Bool

    public init(files: [SourceFile], colored: Bool = false) {
        self.files = Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        self.colored = colored
    }

    /// Like clang's `-ferror-limit`: past this many errors the rest are counted, not printed.
    public static let errorLimit = 20

    /// Longest stretch of a source line quoted around the caret.
    static let snippetWidth = 120

    public func render(_ diagnostics: [Diagnostic]) -> String {
        var out = ""
        var errors = 0
        for (index, diagnostic) in diagnostics.enumerated() {
            if diagnostic.severity == .error {
                errors += 1
                if errors > Self.errorLimit {
                    let remaining = diagnostics[index...].count { $0.severity == .error }
                    out += style("error:", color: color(for: .error), bold: true)
                    out += style(" too many errors; \(remaining) more not shown", bold: true) + "\n"
                    break
                }
            }
            out += render(diagnostic)
        }
        return out
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var out = renderOne(severity: diagnostic.severity, message: diagnostic.message, location: diagnostic.location)
        for fixIt in diagnostic.fixIts {
            out += Self.parseableFixIt(fixIt) + "\n"
        }
        for note in diagnostic.notes {
            out += renderOne(severity: .note, message: note.message, location: note.location)
        }
        return out
    }

    private func renderOne(severity: Diagnostic.Severity, message: String, location: SourceLocation?) -> String {
        var out = ""
        if let location {
            out += style("\(location.path):\(location.start.line):\(location.start.column): ", bold: true)
        }
        out += style("\(severity.rawValue):", color: color(for: severity), bold: true)
        out += style(" " + displaySafe(message), bold: true) + "\n"
        if let location, let snippet = snippet(for: location) {
            out += snippet
        }
        return out
    }

    /// The source line and a caret under the range (`^~~~` when it spans several columns). A long
    /// line is cut to a window around the caret; an empty line is not quoted.
    private func snippet(for location: SourceLocation) -> String? {
        guard let file = files[location.path], let line = file.lineText(location.start.line) else { return nil }
        var scalars = Array(line.unicodeScalars)
        var startColumn = max(1, location.start.column)
        guard !scalars.isEmpty, startColumn <= scalars.count + 1 else { return nil }
        var width = 1
        if location.range.end.line == location.start.line {
            width = max(1, location.range.end.column - startColumn)
        } else if location.range.end.line > location.start.line {
            width = max(1, scalars.count - (startColumn - 1))
        }
        if scalars.count > Self.snippetWidth {
            let first = max(0, min(startColumn - 1 - Self.snippetWidth / 2, scalars.count - Self.snippetWidth))
            let last = min(scalars.count, first + Self.snippetWidth)
            let suffix: [Unicode.Scalar] = last < scalars.count ? ["…"] : []
            scalars = Array(scalars[first..<last]) + suffix
            if first > 0 {
                scalars.insert("…", at: 0)
                startColumn -= first - 1
            } else {
                startColumn -= first
            }
        }
        width = min(width, max(1, scalars.count - (startColumn - 1)))
        var marker = ""
        // Keep tabs so the caret lines up under the same tab stops as the quoted line.
        for scalar in scalars.prefix(startColumn - 1) {
            marker += scalar == "\t" ? "\t" : " "
        }
        marker += "^" + String(repeating: "~", count: width - 1)
        let printable = String(String.UnicodeScalarView(scalars.map { isUnsafeToDisplay($0) && $0 != "\t" ? "\u{FFFD}" : $0 }))
        return printable + "\n" + style(marker, color: "32", bold: true) + "\n"
    }

    /// clang's `-fdiagnostics-parseable-fixits` form: `fix-it:"file":{l:c-l:c}:"replacement"`, the
    /// range end exclusive, the strings escaped as C strings.
    public static func parseableFixIt(_ fixIt: Diagnostic.FixIt) -> String {
        func escaped(_ text: String) -> String {
            var out = ""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                default:
                    if isUnsafeToDisplay(scalar) {
                        out += "\\u{\(String(scalar.value, radix: 16))}"
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out
        }
        let range = fixIt.location.range
        return "fix-it:\"\(escaped(fixIt.location.path))\":{\(range.start.line):\(range.start.column)-\(range.end.line):\(range.end.column)}:\"\(escaped(fixIt.replacement))\""
    }

    private func color(for severity: Diagnostic.Severity) -> String {
        switch severity {
        case .error: "31"
        case .warning: "35"
        case .note: "36"
        }
    }

    private func style(_ text: String, color: String? = nil, bold: Bool = false) -> String {
        guard colored else { return text }
        var codes: [String] = []
        if bold { codes.append("1") }
        if let color { codes.append(color) }
        return "\u{1B}[\(codes.joined(separator: ";"))m" + text + "\u{1B}[0m"
    }
}
