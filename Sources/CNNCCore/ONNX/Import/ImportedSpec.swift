/// The spec an import is writing: its layers in order, with options kept as values so that later
/// ONNX nodes can still change them (a bias `Add` after a `Conv`, a crop `Slice` after a
/// `ConvTranspose`), then written as readable YAML, one layer per line.
struct ImportedLayer {
    /// An option's value, written in the spec's short forms.
    enum Value {
        case integer(Int)
        case number(Float)
        case bool(Bool)
        case word(String)
        /// `3` when both sides are equal, else `[h, w]`.
        case pair(Int, Int)
        /// `[top, bottom, left, right]`, written as `1` or `[h, w]` when it can be.
        case padding(Padding)
        case names([String])
    }

    var name: String
    var keyword: String
    var options: [(key: String, value: Value)] = []
    /// The values read: `input` or earlier layers' names.
    var inputs: [String]
    /// The layer's tensors by role, in PyTorch's layout.
    var tensors: [(role: ParameterRole, shape: [Int], values: [Float])] = []
    /// Output dimensions without the batch: [C, H, W], or [F] for a flat tensor.
    var dims: [Int]

    subscript(_ key: String) -> Value? {
        get { options.first { $0.key == key }?.value }
        set {
            if let index = options.firstIndex(where: { $0.key == key }) {
                if let newValue { options[index].value = newValue } else { options.remove(at: index) }
            } else if let newValue {
                options.append((key, newValue))
            }
        }
    }
}

enum SpecWriter {
    /// `text` with every scalar YAML may not hold in a comment, or unsafe to display, as `\u{…}`.
    static func comment(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isUnsafeToDisplay(scalar) || scalar.value == 0xFEFF || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// The YAML text of an imported spec.
    static func text(header: [String], name: String, input: [Int], weights: String?, output: String?, layers: [ImportedLayer]) -> String {
        // The header quotes the model (its producer) and the path: escaped, so that a control
        // character or a line break cannot end the comment or make the YAML unreadable.
        var lines = header.map { "# " + comment($0) }
        lines.append("name: \(scalar(name))")
        lines.append("input: {channels: \(input[0]), height: \(input.count > 1 ? input[1] : 1), width: \(input.count > 2 ? input[2] : 1)}")
        if let weights { lines.append("weights: \(scalar(weights))") }
        if let output { lines.append("output: \(scalar(output))") }
        lines.append("layers:")
        var counters: [String: Int] = [:]
        var previous = NetworkSpec.inputName
        for layer in layers {
            counters[layer.keyword, default: 0] += 1
            let defaultName = layer.keyword + (layer.keyword.last!.isNumber ? "_" : "") + String(counters[layer.keyword]!)
            var options: [String] = []
            if layer.name != defaultName { options.append("name: \(scalar(layer.name))") }
            if layer.inputs != [previous] {
                options.append("from: " + (layer.inputs.count == 1 ? scalar(layer.inputs[0]) : "[" + layer.inputs.map(scalar).joined(separator: ", ") + "]"))
            }
            options += layer.options.map { "\($0.key): \(text($0.value))" }
            lines.append("  - " + layer.keyword + (options.isEmpty ? "" : ": {" + options.joined(separator: ", ") + "}"))
            previous = layer.name
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func text(_ value: ImportedLayer.Value) -> String {
        switch value {
        case .integer(let value): String(value)
        case .number(let value): swiftFloatLiteral(value)
        case .bool(let value): value ? "true" : "false"
        case .word(let word): word
        case .pair(let height, let width): height == width ? "\(height)" : "[\(height), \(width)]"
        case .padding(let p):
            p.top == p.bottom && p.left == p.right
                ? (p.top == p.left ? "\(p.top)" : "[\(p.top), \(p.left)]")
                : "[\(p.top), \(p.bottom), \(p.left), \(p.right)]"
        case .names(let names): "[" + names.map(scalar).joined(separator: ", ") + "]"
        }
    }

    /// A plain scalar when YAML reads it back as the same string, else a double-quoted one.
    static func scalar(_ text: String) -> String {
        let plain = text.first.map { $0.isLetter || $0 == "_" } == true
            && text.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || "_.-/".contains($0) }
            && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"].contains(text.lowercased())
        return plain ? text : quoted(text)
    }
}
