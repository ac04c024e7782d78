/// How a command prints its diagnostics: clang-style text on standard error, or one machine-readable
/// document on standard output for editors and CI annotators (`--diagnostics-format`).
public enum DiagnosticsFormat: String, CaseIterable, Sendable {
    case text, json, sarif
}

/// Diagnostics as JSON (`cnnc.diagnostics/1`) or SARIF 2.1.0. Lines and columns are 1-based and count
/// Unicode scalars, as in the text form; a range's end is exclusive. A message with no file (an
/// unreadable input, say) has no location.
public enum StructuredDiagnostics {
    public static let jsonSchema = "cnnc.diagnostics/1"

    public static func json(_ diagnostics: [Diagnostic]) -> String {
        let document = JSONValue.object([
            ("schema", .string(jsonSchema)),
            ("errors", .integer(diagnostics.count { $0.severity == .error })),
            ("warnings", .integer(diagnostics.count { $0.severity == .warning })),
            ("diagnostics", .array(diagnostics.map(json))),
        ])
        return document.rendered() + "\n"
    }

    private static func json(_ diagnostic: Diagnostic) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("severity", .string(diagnostic.severity.rawValue)),
            ("message", .string(diagnostic.message)),
        ]
        if let location = diagnostic.location { members += json(location) }
        members.append(("notes", .array(diagnostic.notes.map { note in
            .object([("message", .string(note.message))] + (note.location.map(json) ?? []))
        })))
        members.append(("fixits", .array(diagnostic.fixIts.map { fixIt in
            .object(json(fixIt.location) + [("replacement", .string(fixIt.replacement))])
        })))
        return .object(members)
    }

    private static func json(_ location: SourceLocation) -> [(String, JSONValue)] {
        let range = location.range
        return [
            ("file", .string(location.path)),
            ("range", .object([
                ("start", .object([("line", .integer(range.start.line)), ("column", .integer(range.start.column))])),
                ("end", .object([("line", .integer(range.end.line)), ("column", .integer(range.end.column))])),
            ])),
        ]
    }

    /// A SARIF 2.1.0 log with one run of cnnc: each diagnostic a result (level error, warning or
    /// note), its notes related locations, its fix-its fixes.
    public static func sarif(_ diagnostics: [Diagnostic], toolVersion: String) -> String {
        let results: [JSONValue] = diagnostics.map { diagnostic in
            var members: [(String, JSONValue)] = [
                ("level", .string(diagnostic.severity.rawValue)),
                ("message", .object([("text", .string(diagnostic.message))])),
            ]
            if let location = diagnostic.location {
                members.append(("locations", .array([.object([("physicalLocation", physicalLocation(location))])])))
            }
            let related = diagnostic.notes.enumerated().map { index, note -> JSONValue in
                var entry: [(String, JSONValue)] = [("id", .integer(index + 1))]
                if let location = note.location { entry.append(("physicalLocation", physicalLocation(location))) }
                entry.append(("message", .object([("text", .string(note.message))])))
                return .object(entry)
            }
            if !related.isEmpty { members.append(("relatedLocations", .array(related))) }
            if !diagnostic.fixIts.isEmpty {
                let changes = diagnostic.fixIts.map { fixIt -> JSONValue in
                    .object([
                        ("artifactLocation", .object([("uri", .string(uri(fixIt.location.path)))])),
                        ("replacements", .array([.object([
                            ("deletedRegion", region(fixIt.location.range)),
                            ("insertedContent", .object([("text", .string(fixIt.replacement))])),
                        ])])),
                    ])
                }
                members.append(("fixes", .array([.object([
                    ("description", .object([("text", .string(fixItDescription(diagnostic.fixIts)))])),
                    ("artifactChanges", .array(changes)),
                ])])))
            }
            return .object(members)
        }
        let log = JSONValue.object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("cnnc")),
                    ("version", .string(toolVersion)),
                ]))])),
                // Our columns count Unicode scalars, not SARIF's default UTF-16 code units.
                ("columnKind", .string("unicodeCodePoints")),
                ("results", .array(results)),
            ])])),
        ])
        return log.rendered() + "\n"
    }

    private static func fixItDescription(_ fixIts: [Diagnostic.FixIt]) -> String {
        fixIts.map { "write '\($0.replacement)'" }.joined(separator: "; ")
    }

    private static func physicalLocation(_ location: SourceLocation) -> JSONValue {
        .object([
            ("artifactLocation", .object([("uri", .string(uri(location.path)))])),
            ("region", region(location.range)),
        ])
    }

    private static func region(_ range: SourceRange) -> JSONValue {
        .object([
            ("startLine", .integer(range.start.line)),
            ("startColumn", .integer(range.start.column)),
            ("endLine", .integer(range.end.line)),
            ("endColumn", .integer(range.end.column)),
        ])
    }

    /// A relative URI reference for a path as the user gave it (RFC 3986: spaces and other
    /// characters outside the unreserved set and `/` percent-encoded).
    static func uri(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-._~/".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
