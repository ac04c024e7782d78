import Foundation
import Testing
@testable import CNNCCore

/// Hand-built broken files, one per validation rule. Each must fail with its own problem and a
/// one-line message that names the file and says what is wrong (see `expectReadFailure`).
@Suite struct SafeTensorsCorruptionTests {
    /// A header with one F32 tensor `w` whose entry is given as JSON text.
    func oneTensor(_ entry: String, data: Int = 8) -> [UInt8] {
        safetensorsBytes(header: "{\"w\":\(entry)}", data: Array(repeating: 0, count: data))
    }

    // MARK: Header length

    @Test func fileShorterThanTheLengthField() throws {
        try expectReadFailure([], .fileTooShort, "file is 0 bytes, too short for the 8-byte header length")
        try expectReadFailure([1, 0, 0], .fileTooShort, "file is 3 bytes, too short for the 8-byte header length")
        try expectReadFailure([0, 0, 0, 0, 0, 0, 0], .fileTooShort, "7 bytes")
    }

    @Test func headerLengthPastTheEndOfTheFile() throws {
        // The largest u64: no overflow, no trap, and a message that gives the raw number.
        let message = try expectReadFailure(
            littleEndianBytes(UInt64.max) + Array(repeating: 0x20, count: 1016), .headerLengthPastEnd)
        #expect(message?.hasSuffix(": header length 18446744073709551615 runs past the end of the 1,024-byte file") == true, "\(message ?? "")")
        // Above Int.max, and just one byte too long.
        try expectReadFailure(littleEndianBytes(1 << 63) + Array("{}".utf8), .headerLengthPastEnd, "header length 9223372036854775808 runs past the end of the 10-byte file")
        try expectReadFailure(safetensorsBytes(header: "{}", declaredLength: 3), .headerLengthPastEnd, "header length 3 runs past the end of the 10-byte file")
    }

    @Test func headerLongerThanTheLimit() throws {
        // A sparse file just large enough that the length is inside it: only the limit applies.
        let length = UInt64(SafeTensorsFile.maximumHeaderBytes + 1)
        try withScratchDirectory { directory throws in
            let path = try directory.write("huge.safetensors", littleEndianBytes(length))
            #expect(truncate(path, off_t(8 + length)) == 0)
            let error = #expect(throws: WeightsFileError.self) { try SafeTensorsFile.read(path: path) }
            #expect(error?.problem == .headerTooLarge)
            #expect(error?.message == "\(path): header length 100,000,001 bytes is over the limit of 100,000,000")
        }
    }

    // MARK: Header text

    @Test func headerNotUTF8() throws {
        try expectReadFailure(safetensorsBytes(rawHeader: Array("{\"w".utf8) + [0xFF] + Array("\":1}".utf8)), .headerNotUTF8,
                              "header is not valid UTF-8: byte 0xFF at file byte 11")
        // An overlong encoding of '"' and a UTF-16 surrogate are not UTF-8 either.
        try expectReadFailure(safetensorsBytes(rawHeader: [0x7B, 0xC0, 0xA2, 0x7D]), .headerNotUTF8, "byte 0xC0 at file byte 9")
        try expectReadFailure(safetensorsBytes(rawHeader: Array("{\"".utf8) + [0xED, 0xA0, 0x80] + Array("\":1}".utf8)), .headerNotUTF8, "byte 0xED at file byte 10")
    }

    @Test(arguments: [
        ("", "expected a JSON value, found the end of the header at file byte 8"),
        ("{\"w\":", "expected a JSON value, found the end of the header at file byte 13"),
        ("{\"w\":1,}", "expected a string key in object, found '}' at file byte 15"),
        ("{\"w\":{\"dtype\":\"F32\"}} trailing", "unexpected 't' after the JSON value at file byte 30"),
        ("{\"w\":{\"dtype\":\"F32\"} trailing", "expected ',' or '}' in object, found 't' at file byte 29"),
        ("{'w':1}", "expected a string key in object, found ''' at file byte 9"),
        ("{\"w\":NaN}", "expected a JSON value, found 'N' at file byte 13"),
        ("\u{0}\u{0}", "expected a JSON value, found byte 0x0 at file byte 8"),
    ])
    func headerNotJSON(header: String, detail: String) throws {
        try expectReadFailure(safetensorsBytes(header: header), .headerNotJSON, "header is not valid JSON: " + detail)
    }

    @Test func headerNestedTooDeeply() throws {
        let header = "{\"__metadata__\":" + String(repeating: "[", count: 100_000)
        try expectReadFailure(safetensorsBytes(header: header), .headerNotJSON, "header is not valid JSON: nesting deeper than 64 levels at file byte \(8 + 16 + 63)")
    }

    @Test(arguments: [("[1,2]", "an array"), ("\"F32\"", "the string \"F32\""), ("null", "null"), ("42", "the number 42")])
    func headerNotAnObject(header: String, kind: String) throws {
        try expectReadFailure(safetensorsBytes(header: header), .headerNotObject,
                              "header must be a JSON object mapping tensor names to entries, but it is \(kind)")
    }

    // MARK: Tensor entries

    @Test(arguments: ["dtype", "shape", "data_offsets"])
    func entryMissingAField(field: String) throws {
        var fields = ["\"dtype\":\"F32\"", "\"shape\":[2]", "\"data_offsets\":[0,8]"]
        fields.removeAll { $0.hasPrefix("\"\(field)\"") }
        try expectReadFailure(oneTensor("{" + fields.joined(separator: ",") + "}"), .invalidTensorEntry, "tensor 'w': entry has no \"\(field)\"")
    }

    @Test(arguments: [
        ("[1,2,3]", "tensor 'w': entry must be an object with \"dtype\", \"shape\" and \"data_offsets\", but it is an array"),
        ("\"F32\"", "but it is the string \"F32\""),
        ("{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}", "tensor 'w': \"dtype\" must be a string, but it is the number 32"),
        ("{\"dtype\":[\"F32\"],\"shape\":[2],\"data_offsets\":[0,8]}", "\"dtype\" must be a string, but it is an array"),
        ("{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}", "tensor 'w': \"shape\" must be an array of integers, but it is the number 2"),
        ("{\"dtype\":\"F32\",\"shape\":{\"0\":2},\"data_offsets\":[0,8]}", "\"shape\" must be an array of integers, but it is an object"),
        ("{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}", "\"shape\" must be an array of integers, but it contains the string \"2\""),
        ("{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,8]}", "but it contains null"),
        // A string from the file is escaped so the message stays on one line.
        ("{\"dtype\":\"F32\",\"shape\":\"a\\nb\\\"\",\"data_offsets\":[0,8]}", "but it is the string \"a\\nb\\\"\""),
    ])
    func entryWithWrongTypes(entry: String, detail: String) throws {
        try expectReadFailure(oneTensor(entry), .invalidTensorEntry, detail)
    }

    @Test(arguments: [
        ("[-2]", "tensor 'w': shape dimension -2 is negative"),
        ("[2,-1]", "shape dimension -1 is negative"),
        ("[2.5]", "tensor 'w': shape dimension 2.5 is not an integer"),
        ("[2.0]", "shape dimension 2.0 is not an integer"),
        ("[2e0]", "shape dimension 2e0 is not an integer"),
        ("[-1.5]", "shape dimension -1.5 is not an integer"),
    ])
    func negativeOrNonIntegerShape(shape: String, detail: String) throws {
        try expectReadFailure(oneTensor("{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,8]}"), .invalidShape, detail)
    }

    @Test(arguments: [
        ("[4294967296,4294967296]", "tensor 'w': shape [4294967296, 4294967296] has more elements than a 64-bit integer can count"),
        ("[3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3]", "has more elements than a 64-bit integer can count"),
        ("[9223372036854775808]", "tensor 'w': shape dimension 9223372036854775808 is too large"),
        ("[123456789012345678901234567890]", "shape dimension 123456789012345678901234567890 is too large"),
        ("[1152921504606846976]", "tensor 'w': shape [1152921504606846976] of F32 is too large: its size in bits overflows a 64-bit integer"),
    ])
    func shapeWhoseSizeOverflows(shape: String, detail: String) throws {
        try expectReadFailure(oneTensor("{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,8]}"), .shapeOverflow, detail)
    }

    @Test(arguments: ["F17", "f32", "float32", ""])
    func unknownDType(dtype: String) throws {
        try expectReadFailure(oneTensor("{\"dtype\":\"\(dtype)\",\"shape\":[2],\"data_offsets\":[0,8]}"), .unknownDType,
                              "tensor 'w': unknown dtype '\(dtype)' (known: BOOL, F4,", "F32", "U64)")
    }

    @Test func longNamesAreShortenedInMessages() throws {
        let name = String(repeating: "n", count: 5000)
        let message = try expectReadFailure(safetensorsBytes(header: "{\"\(name)\":{}}"), .invalidTensorEntry, "'" + String(repeating: "n", count: 120) + "…'")
        #expect((message?.count ?? .max) < 400)
    }

    // MARK: Data offsets

    @Test(arguments: [
        ("[0]", "tensor 'w': \"data_offsets\" must be two integers [begin, end], but it is [0]"),
        ("[0,4,8]", "must be two integers [begin, end], but it is [0, 4, 8]"),
        ("[]", "but it is []"),
        ("\"0,8\"", "but it is the string \"0,8\""),
        ("[0,\"8\"]", "but it is [0, the string \"8\"]"),
        ("{\"begin\":0,\"end\":8}", "but it is an object"),
        ("[[0],[8]]", "but it is [an array, an array]"),
        ("[0.0,8]", "tensor 'w': \"data_offsets\" [0.0, 8] must be non-negative integers"),
        ("[-8,0]", "\"data_offsets\" [-8, 0] must be non-negative integers"),
        ("[0,8e0]", "[0, 8e0] must be non-negative integers"),
    ])
    func dataOffsetsNotTwoIntegers(offsets: String, detail: String) throws {
        try expectReadFailure(oneTensor("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\(offsets)}"), .invalidDataOffsets, detail)
    }

    @Test func dataOffsetsBeginAfterEnd() throws {
        try expectReadFailure(oneTensor("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}"), .invalidDataOffsets,
                              "tensor 'w': \"data_offsets\" [8, 0] begin after they end")
    }

    @Test(arguments: [
        ("[0,12]", "tensor 'w': \"data_offsets\" [0, 12] end past the 8-byte data section (the file ends at byte "),
        ("[8,16]", "[8, 16] end past the 8-byte data section"),
        ("[0,18446744073709551615]", "[0, 18446744073709551615] end past the 8-byte data section"),
        ("[0,99999999999999999999999]", "[0, 99999999999999999999999] end past the 8-byte data section"),
    ])
    func dataOffsetsPastTheDataSection(offsets: String, detail: String) throws {
        try expectReadFailure(oneTensor("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\(offsets)}"), .dataOffsetsPastEnd, detail)
    }

    @Test(arguments: [
        ("F32", "[3]", "[0,8]", "tensor 'w': \"data_offsets\" [0, 8] hold 8 bytes, but shape [3] of F32 needs 12"),
        ("F32", "[1]", "[0,8]", "hold 8 bytes, but shape [1] of F32 needs 4"),
        ("F64", "[2]", "[0,8]", "hold 8 bytes, but shape [2] of F64 needs 16"),
        ("F16", "[]", "[0,0]", "hold 0 bytes, but shape [] of F16 needs 2"),
        ("U8", "[0]", "[0,1]", "hold 1 bytes, but shape [0] of U8 needs 0"),
        ("F4", "[3]", "[0,2]", "tensor 'w': shape [3] of F4 is 12 bits, not a whole number of bytes"),
        ("F6_E2M3", "[2]", "[0,2]", "shape [2] of F6_E2M3 is 12 bits, not a whole number of bytes"),
    ])
    func dataSizeDoesNotMatchTheShape(dtype: String, shape: String, offsets: String, detail: String) throws {
        try expectReadFailure(oneTensor("{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"), .dataSizeMismatch, detail)
    }

    @Test func overlappingTensors() throws {
        let partial = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try expectReadFailure(safetensorsBytes(header: partial, data: Array(repeating: 0, count: 12)), .overlappingTensors,
                              "tensors 'a' (data bytes [0, 8)) and 'b' (data bytes [4, 12)) overlap")
        // Header order does not matter, and containment counts: b lies inside a, c after both.
        let contained = #"{"c":{"dtype":"U8","shape":[4],"data_offsets":[16,20]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]},"# +
            #""a":{"dtype":"U8","shape":[16],"data_offsets":[0,16]}}"#
        try expectReadFailure(safetensorsBytes(header: contained, data: Array(repeating: 0, count: 20)), .overlappingTensors,
                              "tensors 'a' (data bytes [0, 16)) and 'b' (data bytes [4, 8)) overlap")
        // Two tensors with the very same bytes.
        let identical = #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}"#
        try expectReadFailure(safetensorsBytes(header: identical, data: Array(repeating: 0, count: 4)), .overlappingTensors, "'x'", "'y'", "overlap")
    }

    // MARK: Metadata and names

    @Test(arguments: [
        ("[\"pt\"]", "\"__metadata__\" must be an object of string values, but it is an array"),
        ("\"pt\"", "\"__metadata__\" must be an object of string values, but it is the string \"pt\""),
        ("{\"format\":\"pt\",\"epochs\":3}", "\"__metadata__\" value for key 'epochs' must be a string, but it is the number 3"),
        ("{\"nested\":{\"a\":\"b\"}}", "value for key 'nested' must be a string, but it is an object"),
        ("{\"flag\":true}", "value for key 'flag' must be a string, but it is true"),
    ])
    func metadataNotStringToString(metadata: String, detail: String) throws {
        try expectReadFailure(safetensorsBytes(header: "{\"__metadata__\":\(metadata)}"), .invalidMetadata, detail)
    }

    @Test func metadataGivenTwice() throws {
        try expectReadFailure(safetensorsBytes(header: #"{"__metadata__":{},"__metadata__":{}}"#), .invalidMetadata,
                              "\"__metadata__\" appears twice in the header (file bytes 9 and 27)")
    }

    @Test func duplicateTensorNames() throws {
        let entry = #"{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#
        let header = "{\"w\":\(entry),\"w\":\(entry)}"
        try expectReadFailure(safetensorsBytes(header: header, data: Array(repeating: 0, count: 4)), .duplicateTensorName,
                              "tensor 'w' appears twice in the header (file bytes 9 and \(8 + 1 + 4 + entry.utf8.count + 1))")
        // Escapes that decode to the same name are the same name.
        let escaped = "{\"w\":\(entry),\"\\u0077\":\(entry)}"
        try expectReadFailure(safetensorsBytes(header: escaped, data: Array(repeating: 0, count: 4)), .duplicateTensorName, "tensor 'w' appears twice")
    }

    @Test func repeatedKeysInsideAnEntryOrTheMetadata() throws {
        try expectReadFailure(oneTensor(#"{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}"#), .headerNotJSON,
                              "header is not valid JSON: key 'dtype' appears twice in one object (file bytes 14 and 28)")
        try expectReadFailure(safetensorsBytes(header: #"{"__metadata__":{"a":"1","a":"2"}}"#), .headerNotJSON, "key 'a' appears twice in one object")
    }
}
