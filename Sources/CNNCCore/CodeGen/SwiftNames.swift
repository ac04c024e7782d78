/// Turning user-given names into Swift identifiers that cannot clash with the language or with each
/// other. User names reach generated source only through these, through `commentSafe`, or through
/// `quoted`.
enum SwiftNames {
    /// Swift's keywords and the names a generated module must not shadow.
    static let reserved: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static",
        "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do", "else",
        "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while", "Any", "as",
        "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "async", "package", "consume",
        "copy", "borrowing", "consuming", "some", "any", "actor", "nonisolated", "isolated", "each", "macro", "sending",
        "_", "Type", "Protocol",
        // Standard library and Foundation types a module name must not hide.
        "Swift", "Foundation", "Glibc", "Darwin", "Float", "Int", "Double", "String", "Array", "Bool", "Never", "Void",
        "Optional", "Error", "Result", "Character", "Dictionary", "Set", "SIMD8", "Unsafe",
        // The generated package's own modules and names.
        "CNNCRuntime", "Kernels", "Network", "Weights", "Main", "main", "Offsets", "ConvolutionGeometry", "PoolingGeometry",
        "Margins", "BorderMode", "ActivationFunction", "ActivationKernel", "Activations", "PackageDescription",
    ]

    /// An UpperCamelCase module or type name from any text: ASCII letters and digits kept, everything
    /// else a word break; a leading digit or a reserved word gets a prefix.
    static func typeName(_ text: String, fallback: String = "Network") -> String {
        var words: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        var name = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        if name.isEmpty { name = fallback }
        if name.first!.isNumber { name = "N" + name }
        if reserved.contains(name) { name += "Model" }
        return String(name.prefix(64))
    }

    /// A lowerCamelCase identifier for a value (a layer), or nil if nothing usable remains.
    static func valueName(_ text: String) -> String {
        let type = typeName(text, fallback: "layer")
        var name = type.prefix(1).lowercased() + type.dropFirst()
        if name.first!.isNumber || reserved.contains(name) { name = "_" + name }
        return name
    }

    /// `executable-name`: lowercase ASCII letters, digits and dashes.
    static func commandName(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                out += String(scalar).lowercased()
            } else if !out.isEmpty, out.last != "-" {
                out += "-"
            }
        }
        while out.hasSuffix("-") { out.removeLast() }
        return out.isEmpty ? "network" : String(out.prefix(64))
    }

    /// Makes each name unique in order of appearance by appending `2`, `3`, …, also avoiding `taken`.
    static func unique(_ names: [String], avoiding taken: Set<String> = []) -> [String] {
        var used = taken
        return names.map { name in
            var candidate = name
            var counter = 2
            while used.contains(candidate) {
                candidate = name + String(counter)
                counter += 1
            }
            used.insert(candidate)
            return candidate
        }
    }
}
