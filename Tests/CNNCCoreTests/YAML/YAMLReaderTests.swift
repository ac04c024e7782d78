@testable import CNNCCore
import Testing

@Suite struct YAMLReaderTests {
    func read(_ text: String) -> YAMLReader.Result {
        YAMLReader(file: SourceFile(path: "t.yaml", text: text)).read()
    }

    @Test func marksOfScalarsKeysSequencesAndMappings() throws {
        let result = read("""
            name: x
            input: {channels: 1}
            layers:
              - relu
              - conv: [1, 2]
            """)
        let root = try #require(result.root)
        let pairs = try #require(root.mapping)
        #expect(root.range.start == SourcePosition(line: 1, column: 1))
        // `name` key at 1:1, its value `x` at 1:7.
        #expect(pairs[0].key.range.start == SourcePosition(line: 1, column: 1))
        #expect(pairs[0].key.range.end == SourcePosition(line: 1, column: 5))
        #expect(pairs[0].value.range.start == SourcePosition(line: 1, column: 7))
        // The flow mapping starts at its brace; `1` is at column 19.
        #expect(pairs[1].value.range.start == SourcePosition(line: 2, column: 8))
        let channels = try #require(pairs[1].value.mapping?.first)
        #expect(channels.value.range.start == SourcePosition(line: 2, column: 19))
        // A block sequence starts at its first dash.
        let layers = try #require(pairs[2].value.sequence)
        #expect(pairs[2].value.range.start == SourcePosition(line: 4, column: 3))
        #expect(layers[0].range.start == SourcePosition(line: 4, column: 5))
        let conv = try #require(layers[1].mapping?.first)
        #expect(conv.key.range.start == SourcePosition(line: 5, column: 5))
        #expect(conv.value.range.start == SourcePosition(line: 5, column: 11))
        #expect(conv.value.sequence?[1].range.start == SourcePosition(line: 5, column: 15))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let result = read("name: \"ñé\"\nx: 1\ny: [é, 2]\n")
        let pairs = try #require(result.root?.mapping)
        #expect(pairs[2].value.sequence?[1].range.start == SourcePosition(line: 3, column: 8))
    }

    @Test(arguments: [
        ("3", YAMLScalarValue.integer(3)), ("-7", .integer(-7)), ("0x1F", .integer(31)), ("0o17", .integer(15)),
        ("99999999999999999999", .integer(nil)), ("1e-5", .float(1e-5)), ("3.0", .float(3)), (".5", .float(0.5)),
        ("true", .bool(true)), ("False", .bool(false)), ("yes", .string("yes")), ("on", .string("on")),
        ("~", .null), ("null", .null), ("same", .string("same")), ("1.2.3", .string("1.2.3")), ("-.inf", .float(-.infinity)),
    ])
    func plainScalarsFollowTheCoreSchema(_ text: String, _ expected: YAMLScalarValue) {
        #expect(YAMLScalarValue(.init(text: text, style: .plain, tag: nil)) == expected)
    }

    @Test func quotedScalarsAreStrings() {
        #expect(YAMLScalarValue(.init(text: "3", style: .doubleQuoted, tag: nil)) == .string("3"))
        #expect(YAMLScalarValue(.init(text: "true", style: .singleQuoted, tag: nil)) == .string("true"))
        #expect(YAMLScalarValue(.init(text: "3", style: .plain, tag: "tag:yaml.org,2002:str")) == .string("3"))
    }

    @Test func aliasesExpandToTheAnchoredNode() throws {
        let result = read("a: &k [3, 5]\nb: *k\n")
        let pairs = try #require(result.root?.mapping)
        #expect(pairs[1].value.sequence?.count == 2)
        // Errors in an alias point at the anchored text (libyaml starts the node at its anchor).
        #expect(pairs[1].value.range.start == SourcePosition(line: 1, column: 4))
    }

    @Test func billionLaughsIsRefused() {
        var text = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g"] {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = name
        }
        let result = read(text)
        #expect(result.root == nil)
        #expect(result.diagnostics.all.first?.message.contains("more than 100,000 nodes") == true)
    }

    @Test func deepNestingIsRefusedWithoutCrashing() {
        let result = read(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        #expect(result.root == nil)
        #expect(result.diagnostics.all.first?.message.contains("deeper than 64") == true)
    }

    @Test func duplicateKeysAreErrorsWithANoteAtTheFirst() throws {
        let result = read("a: 1\nb: 2\na: 3\n")
        let diagnostic = try #require(result.diagnostics.all.first)
        #expect(diagnostic.message == "duplicate key 'a'")
        #expect(diagnostic.location?.start == SourcePosition(line: 3, column: 1))
        #expect(diagnostic.notes.first?.location?.start == SourcePosition(line: 1, column: 1))
    }

    @Test func syntaxErrorsCarryLibyamlsMarkAndContext() throws {
        let result = read("a: {b: 1\nc: 2\n")
        let diagnostic = try #require(result.diagnostics.all.first)
        #expect(diagnostic.message.hasPrefix("YAML syntax error: "))
        #expect(diagnostic.location?.start.line == 2)
        #expect(diagnostic.notes.first?.location?.start == SourcePosition(line: 1, column: 4))
    }

    @Test func emptyFilesSecondDocumentsAndBadUTF8() {
        #expect(read("").diagnostics.all.first?.message.hasPrefix("the file is empty") == true)
        #expect(read("# only a comment\n").diagnostics.all.first?.message.hasPrefix("the file holds no YAML document, only comments") == true)
        // A byte order mark is not text: the spec after it reads as usual.
        let marked = YAMLReader(file: SourceFile(path: "t.yaml", bytes: [0xEF, 0xBB, 0xBF] + Array("a: 1\nb: [2]\n".utf8))).read()
        #expect(marked.diagnostics.all.isEmpty)
        #expect(marked.root?.mapping?[1].value.range.start == SourcePosition(line: 2, column: 4))
        #expect(read("a: 1\n---\nb: 2\n").diagnostics.all.first?.message.contains("second one") == true)
        let bad = YAMLReader(file: SourceFile(path: "t.yaml", bytes: Array("a: 1\nb: x".utf8) + [0xC3, 0x28])).read()
        #expect(bad.diagnostics.all.first?.message == "the file is not valid UTF-8 (byte 0xC3)")
        #expect(bad.diagnostics.all.first?.location?.start == SourcePosition(line: 2, column: 5))
    }

    @Test func undefinedAliasIsAnError() {
        #expect(read("a: *nothing\n").diagnostics.all.first?.message.contains("no anchor") == true)
    }
}
