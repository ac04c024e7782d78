import Foundation
import Testing
@testable import CNNCCore

@Suite struct SafeTensorsWriterTests {
    @Test func roundTripKeepsShapesOrderMetadataAndEveryBit() throws {
        let special: [Float] = [0, -0.0, 1, -1, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                Float(bitPattern: 0x7FC0_1234), Float(bitPattern: 0xFF80_0001), 0.1, -3.25e-20]
        let tensors: [SafeTensorsWriter.Tensor] = [
            ("conv1.weight", [2, 1, 2, 3], special),
            ("conv1.bias", [2], [0.5, -0.5]),
            ("scale", [], [42]),
            ("empty", [0, 3], []),
            ("features.0", [1], [7]),
        ]
        let metadata = ["format": "pt", "producer": "cnnc init-weights --seed 1", "unicode": "é中😀", "quote\"and\\": "line\nbreak"]
        try withScratchDirectory { directory throws in
            let path = directory.file("model.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: tensors, metadata: metadata)
            let file = try SafeTensorsFile.read(path: path)
            #expect(file.names == tensors.map(\.name), "file order is the order given")
            #expect(file.metadata == metadata)
            #expect(file.uncoveredDataRanges.isEmpty)
            #expect(file.dataSectionOffset % 8 == 0)
            var expectedOffset = 0
            for tensor in tensors {
                let stored = try #require(file.tensor(named: tensor.name))
                #expect(stored.dtype == .float32 && stored.shape == tensor.shape)
                #expect(stored.dataOffsets == expectedOffset..<(expectedOffset + 4 * tensor.values.count), "contiguous")
                expectedOffset = stored.dataOffsets.upperBound
                #expect(try file.floats(tensor.name).map(\.bitPattern) == tensor.values.map(\.bitPattern))
            }
            #expect(file.dataSectionByteCount == expectedOffset)
            #expect(try directory.contents() == ["model.safetensors"], "no temporary file is left behind")
        }
    }

    /// The byte-exact outputs that the reference implementation's own tests expect
    /// (safetensors/src/tensor.rs: test_serialization, test_serialization_forced_alignement, test_empty).
    @Test func matchesTheReferenceImplementationByteForByte() throws {
        try withScratchDirectory { directory throws in
            let path = directory.file("ref.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: [("attn.0", [1, 2, 3], [0, 1, 2, 3, 4, 5])], metadata: [:])
            #expect(try readBytes(path) == [
                64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
                116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
                58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
                101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
                0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
            ])

            try SafeTensorsWriter.write(path: path, tensors: [("attn0", [1, 1, 2, 3], [0, 1, 2, 3, 4, 5])], metadata: [:])
            #expect(try readBytes(path) == [
                72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
                121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
                91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
                115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
                32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
                160, 64,
            ])

            try SafeTensorsWriter.write(path: path, tensors: [], metadata: [:])
            #expect(try readBytes(path) == [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])

            try SafeTensorsWriter.write(path: path, tensors: [], metadata: ["framework": "pt"])
            #expect(try readBytes(path) == [
                40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
                95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
                116, 34, 125, 125, 32, 32, 32, 32, 32,
            ])
        }
    }

    @Test func headerKeysAreSortedAndOutputIsDeterministic() throws {
        let tensors: [SafeTensorsWriter.Tensor] = [("b", [1], [1]), ("a", [2], [2, 3]), ("B", [1], [4]), ("é", [1], [5])]
        var metadata: [String: String] = [:]
        for index in (0..<50).reversed() { metadata["key\(index)"] = "\(index)" }
        var sameMetadata: [String: String] = [:]
        for index in 0..<50 { sameMetadata["key\(index)"] = "\(index)" }
        try withScratchDirectory { directory throws in
            let first = directory.file("first.safetensors"), second = directory.file("second.safetensors")
            try SafeTensorsWriter.write(path: first, tensors: tensors, metadata: metadata)
            try SafeTensorsWriter.write(path: second, tensors: tensors, metadata: sameMetadata)
            let bytes = try readBytes(first)
            #expect(bytes == (try readBytes(second)))

            let file = try SafeTensorsFile.read(path: first)
            #expect(file.names == ["b", "a", "B", "é"], "data in the order given")
            let header = String(decoding: bytes[8..<file.dataSectionOffset], as: UTF8.self)
            #expect(header.hasPrefix(#"{"__metadata__":{"key0":"0","key1":"1","key10":"10","#))
            #expect(header.contains(#""key9":"9"},"B":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"b":"#))
            #expect(header.trimmingCharacters(in: .whitespaces).hasSuffix(#""é":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}"#))
            #expect(header.utf8.count % 8 == 0)
        }
    }

    @Test func namesThatNeedEscapingRoundTrip() throws {
        let names = ["quote\"d", "back\\slash", "new\nline", "tab\t", "bell\u{7}", "slash/ok", "中文.weight", "emoji😀", "del\u{7F}", " "]
        try withScratchDirectory { directory throws in
            let path = directory.file("names.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: names.enumerated().map { ($0.element, [1], [Float($0.offset)]) }, metadata: [:])
            let file = try SafeTensorsFile.read(path: path)
            #expect(file.names == names)
            for (index, name) in names.enumerated() {
                #expect(try file.floats(name) == [Float(index)])
            }
        }
        #expect(JSONValue.escape("a\"b\\c\n\u{1}\u{1F}é") == #""a\"b\\c\n\u0001\u001fé""#)
    }

    @Test func replacesAnExistingFileByRenamingNotByOverwriting() throws {
        try withScratchDirectory { directory throws in
            let path = directory.file("model.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: [("w", [1], [1])], metadata: [:])
            let old = try readBytes(path)
            // A second name for the old file: an in-place overwrite would change it too.
            #expect(link(path, directory.file("old-link")) == 0)
            try SafeTensorsWriter.write(path: path, tensors: [("w", [2], [2, 3])], metadata: [:])
            #expect(try readBytes(directory.file("old-link")) == old)
            #expect(try SafeTensorsFile.read(path: path).floats("w") == [2, 3])
            #expect(try directory.contents() == ["model.safetensors", "old-link"])
        }
    }

    @Test func writtenFileGetsTheUsualPermissions() throws {
        // The temporary file is created with mode 0666 less the umask, like any new file, so the
        // result is as readable as one written in place would be (mkstemp would make it 0600).
        try withScratchDirectory { directory throws in
            let reference = open(directory.file("reference"), O_WRONLY | O_CREAT | O_EXCL, 0o666)
            #expect(reference >= 0)
            close(reference)
            let path = directory.file("model.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: [("w", [1], [1])], metadata: [:])
            var written = stat(), expected = stat()
            #expect(stat(path, &written) == 0 && stat(directory.file("reference"), &expected) == 0)
            #expect(written.st_mode & 0o777 == expected.st_mode & 0o777)
        }
    }

    @Test func failuresLeaveNoTemporaryFile() throws {
        try withScratchDirectory { directory throws in
            // The target is a directory: refused before anything is written.
            #expect(mkdir(directory.file("taken"), 0o755) == 0)
            let error = #expect(throws: WeightsFileError.self) {
                try SafeTensorsWriter.write(path: directory.file("taken"), tensors: [("w", [1], [1])], metadata: [:])
            }
            #expect(error?.problem == .cannotWrite)
            #expect(error?.message == "\(directory.file("taken")): is a directory; name a file inside it")
            #expect(try directory.contents() == ["taken"])

            let missing = directory.file("no/such/dir/model.safetensors")
            let missingError = #expect(throws: WeightsFileError.self) {
                try SafeTensorsWriter.write(path: missing, tensors: [("w", [1], [1])], metadata: [:])
            }
            #expect(missingError?.problem == .cannotWrite)
            #expect(missingError?.message.hasPrefix("\(missing): cannot create a temporary file in '") == true)
            #expect(missingError?.message.hasSuffix("': No such file or directory") == true)
            #expect(try directory.contents() == ["taken"])
        }
    }

    @Test(arguments: [
        ([("w", [2, 3], [Float](repeating: 0, count: 5))], "cannot write tensor 'w': shape [2, 3] has 6 elements, but 5 values were given"),
        ([("w", [], [])], "cannot write tensor 'w': shape [] has 1 elements, but 0 values were given"),
        ([("w", [-1, -2], [2])], "cannot write tensor 'w': shape [-1, -2] has a negative dimension"),
        ([("w", [1], [1]), ("w", [1], [2])], "cannot write tensor 'w' twice"),
        ([("__metadata__", [1], [1])], "cannot write a tensor named '__metadata__': the format reserves that key"),
        ([("w", [Int.max, 2], [])], "cannot write tensor 'w': shape [9223372036854775807, 2] has too many elements"),
    ] as [([SafeTensorsWriter.Tensor], String)])
    func rejectsTensorsItCannotStore(tensors: [SafeTensorsWriter.Tensor], detail: String) throws {
        try withScratchDirectory { directory throws in
            let path = directory.file("bad.safetensors")
            let error = #expect(throws: WeightsFileError.self) { try SafeTensorsWriter.write(path: path, tensors: tensors, metadata: [:]) }
            #expect(error?.problem == .invalidTensor)
            #expect(error?.message == "\(path): \(detail)")
            #expect(try directory.contents().isEmpty, "nothing is created")
        }
    }

    @Test func largeTensorsRoundTrip() throws {
        var generator = Xoshiro256StarStar(seed: 1)
        let big = heNormal(count: 1 << 20, fanIn: 64, rng: &generator)
        try withScratchDirectory { directory throws in
            let path = directory.file("big.safetensors")
            try SafeTensorsWriter.write(path: path, tensors: [("head", [3], [1, 2, 3]), ("big", [1024, 1024], big)], metadata: [:])
            let file = try SafeTensorsFile.read(path: path)
            #expect(try file.floats("big") == big)
            #expect(file.tensor(named: "big")?.fileRange.lowerBound == file.dataSectionOffset + 12)
        }
    }
}
