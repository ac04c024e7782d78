import CYAML

/// Builds a `YAMLNode` tree from libyaml's parser events, keeping every node's position.
///
/// Refuses what could make later phases crash or hang: nesting deeper than `maximumDepth`, and alias
/// expansion beyond `maximumExpandedNodes` (the "billion laughs" document).
public struct YAMLReader {
    public static let maximumDepth = 64
    /// The most nodes aliases may stand for, in all.
    public static let maximumExpandedNodes = 100_000

    public let file: SourceFile

    public init(file: SourceFile) {
        self.file = file
    }

    public struct Result: Sendable {
        /// The single document's root node; nil when the file has errors or holds no document.
        public var root: YAMLNode?
        public var diagnostics: Diagnostics
    }

    public func read() -> Result {
        var diagnostics = Diagnostics()
        if let (position, byte) = file.firstInvalidUTF8() {
            diagnostics.error(
                "the file is not valid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true)))",
                at: location(SourceRange(at: position)))
            return Result(root: nil, diagnostics: diagnostics)
        }
        // libyaml, told the encoding, would read a byte order mark as text; it is not part of the spec.
        let text = file.hasByteOrderMark ? Array(file.bytes.dropFirst(3)) : file.bytes
        var builder = TreeBuilder(reader: self, text: text)
        let completed = text.withUnsafeBufferPointer { buffer in
            builder.run(buffer)
        }
        diagnostics.append(contentsOf: builder.diagnostics)
        guard completed, !diagnostics.hasErrors else { return Result(root: nil, diagnostics: diagnostics) }
        guard let root = builder.root else {
            let empty = text.allSatisfy { [0x20, 0x0A, 0x0D, 0x09].contains($0) }
            let what = empty ? "the file is empty" : "the file holds no YAML document, only comments"
            diagnostics.error("\(what): a spec is a YAML mapping with 'name', 'input' and 'layers'",
                              at: location(SourceRange(at: SourcePosition(line: 1, column: 1))))
            return Result(root: nil, diagnostics: diagnostics)
        }
        return Result(root: root, diagnostics: diagnostics)
    }

    func location(_ range: SourceRange) -> SourceLocation {
        SourceLocation(path: file.path, range: range)
    }
}

/// The event loop; a separate type so the libyaml state never escapes `read()`.
private struct TreeBuilder {
    let reader: YAMLReader
    /// The bytes libyaml reads: the file without its byte order mark.
    let text: [UInt8]
    var diagnostics = Diagnostics()
    var root: YAMLNode?
    private var documentCount = 0
    private var anchors: [String: YAMLNode] = [:]
    private var stack: [OpenCollection] = []
    private var expandedNodes = 0

    /// A sequence or mapping whose end event has not arrived yet.
    private struct OpenCollection {
        var isMapping: Bool
        var start: SourcePosition
        var anchor: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLNode.Pair] = []
        var pendingKey: YAMLNode?
        var expandedSize = 1
    }

    init(reader: YAMLReader, text: [UInt8]) {
        self.reader = reader
        self.text = text
    }

    /// Returns false when reading stopped on an error.
    mutating func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            diagnostics.error("cannot initialise the YAML parser (out of memory)", at: nil)
            return false
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)

        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else {
                reportSyntaxError(parser)
                return false
            }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { return true }
            guard handle(event) else { return false }
        }
    }

    private mutating func handle(_ event: yaml_event_t) -> Bool {
        let start = position(event.start_mark)
        let end = position(event.end_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documentCount += 1
            if documentCount > 1 {
                diagnostics.error("a spec file holds one YAML document; found a second one here",
                                  at: reader.location(SourceRange(start: start, end: end)))
                return false
            }
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = string(data.value, length: data.length)
            let style: YAMLNode.ScalarStyle
            switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let tag = data.tag.map { String(cString: $0) }
            let node = YAMLNode(.scalar(.init(text: text, style: style, tag: tag)),
                                range: SourceRange(start: start, end: end))
            return complete(node, anchor: data.anchor.map { String(cString: $0) })
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
            guard stack.count < YAMLReader.maximumDepth else {
                diagnostics.error("the document nests deeper than \(YAMLReader.maximumDepth) levels",
                                  at: reader.location(SourceRange(start: start, end: end)))
                return false
            }
            stack.append(OpenCollection(isMapping: isMapping, start: start, anchor: anchor.map { String(cString: $0) }))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let open = stack.popLast() else { return true }
            let range = SourceRange(start: open.start, end: end)
            let content: YAMLNode.Content = open.isMapping ? .mapping(open.pairs) : .sequence(open.items)
            if open.isMapping { reportDuplicateKeys(open.pairs) }
            return complete(YAMLNode(content, range: range, expandedSize: open.expandedSize), anchor: open.anchor)
        case YAML_ALIAS_EVENT:
            let name = string(event.data.alias.anchor)
            guard let target = anchors[name] else {
                diagnostics.error("alias '*\(name)' refers to no anchor defined before it",
                                  at: reader.location(SourceRange(start: start, end: end)))
                return false
            }
            guard countAliasExpansion(target.expandedSize, at: start) else { return false }
            // The alias stands for the anchored node; errors inside it point at the anchored text.
            return complete(target, anchor: nil)
        default:
            break
        }
        return true
    }

    /// Attaches a finished node to its parent, or makes it the document's root.
    private mutating func complete(_ node: YAMLNode, anchor: String?) -> Bool {
        if let anchor { anchors[anchor] = node }
        guard var parent = stack.popLast() else {
            root = node
            return true
        }
        parent.expandedSize += node.expandedSize
        if parent.isMapping {
            if let key = parent.pendingKey {
                parent.pairs.append(YAMLNode.Pair(key: key, value: node))
                parent.pendingKey = nil
            } else {
                parent.pendingKey = node
            }
        } else {
            parent.items.append(node)
        }
        stack.append(parent)
        return true
    }

    /// Counts the nodes aliases stand for, and stops past the limit: written nodes cost what the file's
    /// size costs, but aliases can multiply them without bound.
    private mutating func countAliasExpansion(_ nodes: Int, at position: SourcePosition) -> Bool {
        expandedNodes += nodes
        guard expandedNodes > YAMLReader.maximumExpandedNodes else { return true }
        diagnostics.error(
            "aliases in this document expand to more than \(YAMLReader.maximumExpandedNodes.grouped) nodes; refusing to read it",
            at: reader.location(SourceRange(at: position)))
        return false
    }

    private mutating func reportDuplicateKeys(_ pairs: [YAMLNode.Pair]) {
        var seen: [String: YAMLNode] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar else { continue }
            if let first = seen[key.text] {
                diagnostics.error(
                    "duplicate key '\(key.text)'", at: reader.location(pair.key.range),
                    notes: [.init("'\(key.text)' was first given here", at: reader.location(first.range))])
            } else {
                seen[key.text] = pair.key
            }
        }
    }

    private mutating func reportSyntaxError(_ parser: yaml_parser_t) {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        var notes: [Diagnostic.Note] = []
        let problemPosition: SourcePosition
        if parser.error == YAML_READER_ERROR {
            // Reader errors carry a byte offset rather than a mark.
            problemPosition = positionOfByte(parser.problem_offset)
        } else {
            problemPosition = position(parser.problem_mark)
            let contextPosition = position(parser.context_mark)
            if let context = parser.context.map({ String(cString: $0) }), contextPosition != problemPosition {
                notes.append(.init("\(context) that starts here", at: reader.location(SourceRange(at: contextPosition))))
            }
        }
        if let line = reader.file.lineText(problemPosition.line),
           line.unicodeScalars.dropFirst(problemPosition.column - 1).first == "\t" {
            notes.append(.init("YAML does not allow tabs for indentation; indent with spaces", at: nil))
        }
        diagnostics.error("YAML syntax error: \(problem)", at: reader.location(SourceRange(at: problemPosition)),
                          notes: notes)
    }

    private func position(_ mark: yaml_mark_t) -> SourcePosition {
        SourcePosition(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func positionOfByte(_ offset: Int) -> SourcePosition {
        var line = 1
        var column = 1
        for byte in text.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SourcePosition(line: line, column: column)
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String {
        guard let pointer else { return "" }
        let count = length ?? strlen(pointer)
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    private func strlen(_ pointer: UnsafeMutablePointer<yaml_char_t>) -> Int {
        var count = 0
        while pointer[count] != 0 { count += 1 }
        return count
    }
}
