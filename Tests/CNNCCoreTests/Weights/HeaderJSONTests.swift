import Testing
@testable import CNNCCore

@Suite struct HeaderJSONTests {
    func syntaxError(_ text: String) -> HeaderJSON.SyntaxError? {
        #expect(throws: HeaderJSON.SyntaxError.self) { try parseHeaderJSON(text) }
    }

    @Test func parsesNestedValuesInOrder() throws {
        let value = try parseHeaderJSON(#" { "b": [1, -2, 3.5e1, true, false, null], "a": {"x": "y"} } "#)
        guard case .object(let members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a"])
        #expect(members.map(\.keyOffset) == [3, 43])
        guard case .array(let elements) = members[0].value, elements.count == 6 else { Issue.record("not an array"); return }
        guard case .number(let one) = elements[0], case .number(let minusTwo) = elements[1], case .number(let fraction) = elements[2] else {
            Issue.record("not numbers"); return
        }
        #expect(one.nonNegativeInt == 1)
        #expect(minusTwo.isNegative && minusTwo.magnitude == 2 && minusTwo.nonNegativeInt == nil)
        #expect(!fraction.isInteger && fraction.text == "3.5e1" && fraction.magnitude == nil)
    }

    @Test func integersAreExactOverTheWholeUInt64Range() throws {
        guard case .array(let elements) = try parseHeaderJSON("[0, 18446744073709551615, 18446744073709551616, 9223372036854775807, 9223372036854775808, -0]") else {
            Issue.record("not an array"); return
        }
        let numbers = elements.compactMap { if case .number(let number) = $0 { number } else { nil } }
        #expect(numbers.map(\.magnitude) == [0, UInt64.max, nil, UInt64(Int.max), UInt64(Int.max) + 1, 0])
        #expect(numbers.map(\.nonNegativeInt) == [0, nil, nil, Int.max, nil, 0])
    }

    @Test func decodesEscapesAndUnicode() throws {
        let text = #"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u4E2D\ud83d\ude00", "é中😀", ""]"#
        guard case .array(let elements) = try parseHeaderJSON(text) else { Issue.record("not an array"); return }
        let strings = elements.compactMap { if case .string(let string) = $0 { string } else { nil } }
        #expect(strings == ["a\"b\\c/d\u{8}\u{C}\n\r\t", "é中😀", "é中😀", ""])
    }

    @Test(arguments: [
        ("", "expected a JSON value, found the end of the header", 0),
        ("{", "expected a string key in object, found the end of the header", 1),
        ("{\"a\" 1}", "expected ':' after object key, found '1'", 5),
        ("{\"a\":1,}", "expected a string key in object, found '}'", 7),
        ("[1,]", "expected a JSON value, found ']'", 3),
        ("[1 2]", "expected ',' or ']' in array, found '2'", 3),
        ("{'a':1}", "expected a string key in object, found '''", 1),
        ("{\"a\":1} x", "unexpected 'x' after the JSON value", 8),
        ("[01]", "leading zero", 1),
        ("[1.]", "expected a digit after '.'", 3),
        ("[1e]", "expected a digit in the exponent", 3),
        ("[-]", "expected a digit", 2),
        ("[+1]", "expected a JSON value, found '+'", 1),
        ("[NaN]", "expected a JSON value, found 'N'", 1),
        ("[tru]", "invalid literal, expected 'true'", 1),
        ("[\"abc]", "unterminated string", 1),
        ("[\"a\tb\"]", "control character 0x9 in string must be escaped", 3),
        ("[\"\\x\"]", "invalid escape sequence", 2),
        ("[\"\\u12G4\"]", "invalid hex digit", 2),
        ("[\"\\ud800\"]", "unpaired surrogate", 2),
        ("[\"\\udc00\"]", "unpaired surrogate", 2),
        ("[\"\\ud800\\u0041\"]", "unpaired surrogate", 2),
        ("{\"a\":{\"k\":1,\"k\":2}}", "key 'k' appears twice in one object", 12),
    ])
    func rejectsMalformedJSON(text: String, message: String, offset: Int) {
        guard let error = syntaxError(text) else { return }
        #expect(error.message.contains(message), "\(error.message)")
        #expect(error.offset == offset, "\(error.message)")
    }

    @Test func repeatedKeysAreFlaggedForTheCaller() {
        let error = syntaxError(#"{"w": 1, "v": 2, "w": 3}"#)
        #expect(error?.repeatedKey?.key == "w")
        #expect(error?.repeatedKey?.firstOffset == 1)
        #expect(error?.repeatedKey?.isInOutermostObject == true)
        #expect(error?.offset == 17)
        let nested = syntaxError(#"{"w": {"a": 1, "a": 2}}"#)
        #expect(nested?.repeatedKey?.isInOutermostObject == false)
        #expect(nested?.repeatedKey?.firstOffset == 7)
        #expect(nested?.offset == 15)
    }

    @Test func nestingIsLimited() throws {
        let allowed = String(repeating: "[", count: HeaderJSON.maximumDepth) + String(repeating: "]", count: HeaderJSON.maximumDepth)
        _ = try parseHeaderJSON(allowed)
        // Deep enough to overflow the stack of a parser without a limit.
        let hostile = String(repeating: "[", count: 1_000_000)
        let error = syntaxError(hostile)
        #expect(error?.message == "nesting deeper than \(HeaderJSON.maximumDepth) levels")
        #expect(error?.offset == HeaderJSON.maximumDepth)
        #expect(syntaxError(String(repeating: "{\"a\":", count: 100) + "1" + String(repeating: "}", count: 100)) != nil)
    }

    @Test func largeInputsParseInLinearTime() throws {
        // Half a million numbers, 100,000 distinct keys, a megabyte-long string with escapes:
        // quadratic work would take hours here, linear work takes moments even unoptimized.
        let numbers = "[" + Array(repeating: "123456789", count: 500_000).joined(separator: ",") + "]"
        let clock = ContinuousClock()
        let numbersTime = try clock.measure {
            guard case .array(let elements) = try parseHeaderJSON(numbers) else { Issue.record("not an array"); return }
            #expect(elements.count == 500_000)
        }
        let keys = "{" + (0..<100_000).map { "\"tensor.\($0)\":\"\(String(repeating: "x", count: 20))\"" }.joined(separator: ",") + "}"
        let keysTime = try clock.measure {
            guard case .object(let members) = try parseHeaderJSON(keys) else { Issue.record("not an object"); return }
            #expect(members.count == 100_000)
        }
        let longString = "[\"" + String(repeating: "a\\n", count: 500_000) + "\"]"
        let stringTime = try clock.measure { _ = try parseHeaderJSON(longString) }
        #expect(numbersTime < .seconds(20) && keysTime < .seconds(20) && stringTime < .seconds(20))
    }

    @Test func utf8Validation() {
        func firstInvalid(_ bytes: [UInt8]) -> Int? {
            bytes.withUnsafeBufferPointer { HeaderJSON.firstInvalidUTF8Offset($0) }
        }
        #expect(firstInvalid(Array("plain ascii, é, 中, 😀".utf8)) == nil)
        #expect(firstInvalid([0x61, 0xFF]) == 1)  // never valid
        #expect(firstInvalid([0x61, 0x80]) == 1)  // stray continuation byte
        #expect(firstInvalid([0xC0, 0xAF]) == 0)  // overlong '/'
        #expect(firstInvalid([0xE0, 0x80, 0xAF]) == 0)  // overlong
        #expect(firstInvalid([0xED, 0xA0, 0x80]) == 0)  // UTF-16 surrogate
        #expect(firstInvalid([0xF4, 0x90, 0x80, 0x80]) == 0)  // above U+10FFFF
        #expect(firstInvalid([0x61, 0x62, 0xE4, 0xB8]) == 2)  // truncated at the end
        #expect(firstInvalid([0xE4, 0x41, 0x80]) == 0)  // bad continuation
        #expect(firstInvalid([0xF0, 0x9F, 0x98, 0x80, 0xF0, 0x9F, 0x98]) == 4)
    }
}
