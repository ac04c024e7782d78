/// Reading typed values out of YAML nodes, reporting every mismatch at the offending node.
struct ValueDecoder {
    let path: String
    var diagnostics = Diagnostics()

    /// The largest integer the spec accepts anywhere; bigger ones are errors, never traps.
    static let maximumInteger = Int(Int32.max)

    func location(_ node: YAMLNode) -> SourceLocation {
        SourceLocation(path: path, range: node.range)
    }

    mutating func error(_ message: String, at node: YAMLNode, notes: [Diagnostic.Note] = [], fixIts: [Diagnostic.FixIt] = []) {
        diagnostics.error(message, at: location(node), notes: notes, fixIts: fixIts)
    }

    mutating func integer(_ node: YAMLNode, _ what: String, minimum: Int = 1,
                          maximum: Int = ValueDecoder.maximumInteger) -> Int? {
        guard let scalar = node.scalar else {
            error("'\(what)' must be an integer, got \(node.kindDescription)", at: node)
            return nil
        }
        switch YAMLScalarValue(scalar) {
        case .integer(let value?):
            if value < minimum {
                error("'\(what)' must be at least \(minimum.grouped), got \(value)", at: node)
                return nil
            }
            if value > maximum {
                error("'\(what)' is \(value.grouped), more than the largest allowed, \(maximum.grouped)", at: node)
                return nil
            }
            return value
        case .integer(nil) where scalar.text.hasPrefix("-"):
            error("'\(what)' must be at least \(minimum.grouped), got \(scalar.text)", at: node)
        case .integer(nil):
            error("'\(what)' is \(scalar.text), more than the largest allowed, \(maximum.grouped)", at: node)
        case .float(let value) where value.isFinite && value == value.rounded():
            error("'\(what)' must be an integer, got \(node.kindDescription); write \(Int(exactly: value).map(String.init) ?? "an integer") without the fraction",
                  at: node)
        default:
            error("'\(what)' must be an integer, got \(node.kindDescription)", at: node)
        }
        return nil
    }

    /// A finite number (integer or float) within `range`, as float32.
    mutating func number(_ node: YAMLNode, _ what: String, _ range: ClosedRange<Double> = -.greatestFiniteMagnitude...(.greatestFiniteMagnitude),
                         excludingUpperBound: Bool = false, nonZero: Bool = false, positive: Bool = false) -> Float? {
        guard let scalar = node.scalar else {
            error("'\(what)' must be a number, got \(node.kindDescription)", at: node)
            return nil
        }
        let value: Double
        switch YAMLScalarValue(scalar) {
        case .integer(let integer?): value = Double(integer)
        case .float(let float): value = float
        case .integer(nil): value = .infinity
        default:
            error("'\(what)' must be a number, got \(node.kindDescription)", at: node)
            return nil
        }
        guard value.isFinite else {
            error("'\(what)' must be a finite number, got \(scalar.text)", at: node)
            return nil
        }
        guard abs(value) <= Double(Float.greatestFiniteMagnitude) else {
            error("'\(what)' is \(scalar.text), outside the float32 range (±3.4e38)", at: node)
            return nil
        }
        if positive, value <= 0 {
            error("'\(what)' must be positive, got \(scalar.text)", at: node)
            return nil
        }
        let belowUpper = excludingUpperBound ? value < range.upperBound : value <= range.upperBound
        guard value >= range.lowerBound, belowUpper else {
            let upper = excludingUpperBound ? "below \(format(range.upperBound))" : "at most \(format(range.upperBound))"
            let message: String
            if range.upperBound == .greatestFiniteMagnitude {
                message = "'\(what)' must be at least \(format(range.lowerBound)), got \(scalar.text)"
            } else {
                message = "'\(what)' must be at least \(format(range.lowerBound)) and \(upper), got \(scalar.text)"
            }
            error(message, at: node)
            return nil
        }
        if nonZero, value == 0 {
            error("'\(what)' must not be zero", at: node)
            return nil
        }
        return Float(value)
    }

    mutating func boolean(_ node: YAMLNode, _ what: String) -> Bool? {
        if let scalar = node.scalar, case .bool(let value) = YAMLScalarValue(scalar) { return value }
        var hint = ""
        if let scalar = node.scalar, ["yes", "no", "on", "off", "y", "n"].contains(scalar.text.lowercased()) {
            hint = " (YAML 1.2: only true and false are booleans)"
        }
        error("'\(what)' must be true or false, got \(node.kindDescription)\(hint)", at: node)
        return nil
    }

    /// The text of a scalar, numbers included (`name: 0` is the name "0"); null and booleans refused.
    mutating func text(_ node: YAMLNode, _ what: String) -> String? {
        guard let scalar = node.scalar, !node.isNull else {
            error("'\(what)' must be a string, got \(node.kindDescription)", at: node)
            return nil
        }
        if case .bool = YAMLScalarValue(scalar) {
            error("'\(what)' must be a string, got \(node.kindDescription); quote it to mean the text", at: node)
            return nil
        }
        return scalar.text
    }

    /// A layer or network name: 1…128 Unicode scalars (not grapheme clusters, which combining marks
    /// make unbounded), no control characters.
    /// The rule `name` checks: 1–128 Unicode scalars, none of them unsafe to display.
    static func isValidName(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.count <= 128 && !text.unicodeScalars.contains(where: isUnsafeToDisplay)
    }

    mutating func name(_ node: YAMLNode, _ what: String) -> String? {
        guard let text = text(node, what) else { return nil }
        if text.isEmpty {
            error("'\(what)' must not be empty", at: node)
            return nil
        }
        if text.unicodeScalars.count > 128 {
            error("'\(what)' is \(text.unicodeScalars.count) Unicode scalars long; the limit is 128", at: node)
            return nil
        }
        if let bad = text.unicodeScalars.first(where: isUnsafeToDisplay) {
            error("'\(what)' must not contain control characters, line breaks or bidirectional controls (found U+\(String(bad.value, radix: 16, uppercase: true).leftPadded(to: 4)))", at: node)
            return nil
        }
        return text
    }

    /// One of a fixed set of words, with a suggestion for a near miss.
    mutating func keyword(_ node: YAMLNode, _ what: String, _ choices: [String]) -> String? {
        guard let scalar = node.scalar, case .string(let word) = YAMLScalarValue(scalar) else {
            error("'\(what)' must be \(choices.count == 2 ? "" : "one of ")\(list(choices)), got \(node.kindDescription)", at: node)
            return nil
        }
        guard choices.contains(word) else {
            let suggestion = Suggestions.didYouMean(word, in: choices, at: location(node))
            error("'\(what)' must be \(choices.count == 2 ? "" : "one of ")\(list(choices)), got \(quoted(word))\(suggestion.text)",
                  at: node, fixIts: suggestion.fixIts)
            return nil
        }
        return word
    }

    /// `3` or `[3, 5]` (height, width).
    mutating func pair(_ node: YAMLNode, _ what: String, minimum: Int = 1) -> Pair? {
        if let items = node.sequence {
            guard items.count == 2 else {
                error("'\(what)' must be an integer or a list [height, width], got a list of \(items.count)", at: node)
                return nil
            }
            guard let height = integer(items[0], what, minimum: minimum), let width = integer(items[1], what, minimum: minimum) else {
                return nil
            }
            return Pair(height, width)
        }
        if node.mapping != nil {
            error("'\(what)' must be an integer or a list [height, width], got a mapping", at: node)
            return nil
        }
        // `3x3`, `3×3`, `3*3`, `3,3`: what people write in prose and other tools.
        if let scalar = node.scalar, case .string(let word) = YAMLScalarValue(scalar) {
            let sides = word.split(whereSeparator: { "xX×*, ".contains($0) }).map(String.init)
            if sides.count == 2, sides.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && Int($0) != nil }) {
                error("'\(what)' must be an integer or a list [height, width], got \(quoted(word)); write [\(sides[0]), \(sides[1])]",
                      at: node, fixIts: [Diagnostic.FixIt(replacing: location(node), with: "[\(sides[0]), \(sides[1])]")])
                return nil
            }
        }
        return integer(node, what, minimum: minimum).map { Pair(square: $0) }
    }

    /// `1`, `[h, w]`, `[top, bottom, left, right]`, `same` or `valid`.
    mutating func padding(_ node: YAMLNode) -> PaddingSpec? {
        let what = "padding"
        if let scalar = node.scalar, case .string(let word) = YAMLScalarValue(scalar) {
            switch word {
            case "same": return .same
            case "valid": return .valid
            default:
                let suggestion = Suggestions.didYouMean(word, in: ["same", "valid"], at: location(node))
                error("'padding' must be an integer, [h, w], [top, bottom, left, right], 'same' or 'valid', got \(quoted(word))\(suggestion.text)",
                      at: node, fixIts: suggestion.fixIts)
                return nil
            }
        }
        if let items = node.sequence {
            let values = items.map { integer($0, what, minimum: 0) }
            guard items.count == 2 || items.count == 4 else {
                error("'padding' as a list must be [h, w] or [top, bottom, left, right], got a list of \(items.count)", at: node)
                return nil
            }
            let sides = values.compactMap { $0 }
            guard sides.count == values.count else { return nil }
            if sides.count == 2 {
                return .explicit(Padding(top: sides[0], bottom: sides[0], left: sides[1], right: sides[1]))
            }
            return .explicit(Padding(top: sides[0], bottom: sides[1], left: sides[2], right: sides[3]))
        }
        if node.mapping != nil {
            error("'padding' must be an integer, [h, w], [top, bottom, left, right], 'same' or 'valid', got a mapping", at: node)
            return nil
        }
        return integer(node, what, minimum: 0).map { .explicit(Padding(top: $0, bottom: $0, left: $0, right: $0)) }
    }

    /// One number for every channel, or a list of them.
    mutating func numbers(_ node: YAMLNode, _ what: String, nonZero: Bool = false) -> [Float]? {
        if let items = node.sequence {
            guard !items.isEmpty else {
                error("'\(what)' must be a number or a non-empty list of numbers", at: node)
                return nil
            }
            let values = items.map { number($0, what, nonZero: nonZero) }
            let valid = values.compactMap { $0 }
            return valid.count == values.count ? valid : nil
        }
        return number(node, what, nonZero: nonZero).map { [$0] }
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    private func list(_ words: [String]) -> String {
        guard words.count > 1 else { return words.first.map { "'\($0)'" } ?? "" }
        return words.dropLast().map { "'\($0)'" }.joined(separator: ", ") + " or '\(words.last!)'"
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

/// The options of one mapping, read key by key; keys never asked for are reported as unknown.
struct Options {
    /// What the mapping configures, for messages: `conv`, `input`, `the spec`.
    let owner: String
    let entries: [YAMLNode.Pair]
    private(set) var known: [String] = []

    init(owner: String, entries: [YAMLNode.Pair]) {
        self.owner = owner
        self.entries = entries
    }

    /// The value of `key`, marking it known.
    mutating func take(_ key: String) -> YAMLNode? {
        known.append(key)
        return entries.first { $0.key.scalar?.text == key }?.value
    }

    /// The node of the key itself (for errors about giving the key at all).
    func keyNode(_ key: String) -> YAMLNode? {
        entries.first { $0.key.scalar?.text == key }?.key
    }

    /// Names of keys nobody asked for.
    var unknownKeys: [String] {
        entries.compactMap { entry in
            guard let key = entry.key.scalar, case .string(let word) = YAMLScalarValue(key), !known.contains(word) else { return nil }
            return word
        }
    }

    /// Whether a required key that is absent is probably there under a misspelling, which the
    /// unknown-key error already reports with a suggestion.
    func isMisspelled(_ key: String) -> Bool {
        unknownKeys.contains { Suggestions.closest(to: $0, in: known) == key }
    }

    /// Reports keys that are not scalars or that no one asked for.
    func reportUnknown(into decoder: inout ValueDecoder, hint: (String) -> String? = { _ in nil }) {
        for entry in entries {
            guard let key = entry.key.scalar, case .string(let word) = YAMLScalarValue(key) else {
                decoder.error("keys of '\(owner)' must be names, got \(entry.key.kindDescription)", at: entry.key)
                continue
            }
            guard !known.contains(word) else { continue }
            var notes: [Diagnostic.Note] = []
            if let extra = hint(word) { notes.append(.init(extra, at: nil)) }
            let what = owner == "the spec" ? "unknown top-level key '\(word)'" : "unknown option '\(word)' for '\(owner)'"
            let suggestion = Suggestions.didYouMean(word, in: known, at: decoder.location(entry.key))
            decoder.error(what + suggestion.text, at: entry.key, notes: notes, fixIts: suggestion.fixIts)
        }
    }
}
