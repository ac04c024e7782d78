import Foundation
import Testing
@testable import CNNCCore

@Suite struct SafeTensorsReaderTests {
    @Test func readsNamesInDataOrderWithShapesRangesAndMetadata() throws {
        // Header order differs from data order; the reader lists tensors by data offset.
        let header = #"{"bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},"# +
            #""__metadata__":{"format":"pt","note":"é"},"# +
            #""weight":{"shape":[2,3],"data_offsets":[0,24],"dtype":"F32"}}"#
        let weight: [Float] = [1, 2, 3, 4, 5, 6]
        let bias: [Float] = [-0.5, 0.25]
        try withScratchDirectory { directory throws in
            let path = try directory.write("two.safetensors", safetensorsBytes(header: header, data: littleEndianBytes(weight + bias)))
            let file = try SafeTensorsFile.read(path: path)
            #expect(file.path == path)
            #expect(file.names == ["weight", "bias"])
            #expect(file.metadata == ["format": "pt", "note": "é"])
            #expect(file.headerByteCount == header.utf8.count)
            #expect(file.dataSectionOffset == 8 + header.utf8.count)
            #expect(file.dataSectionByteCount == 32)
            #expect(file.uncoveredDataRanges.isEmpty && file.warnings.isEmpty)
            let described = try #require(file.tensor(named: "weight"))
            #expect(described == SafeTensorsTensor(
                name: "weight", dtype: .float32, shape: [2, 3], elementCount: 6,
                dataOffsets: 0..<24, fileRange: file.dataSectionOffset..<(file.dataSectionOffset + 24)))
            #expect(try file.floats("weight") == weight)
            #expect(try file.floats("bias") == bias)
            #expect(Array(try file.rawBytes("bias")) == littleEndianBytes(bias))
        }
    }

    @Test func acceptsPaddingWhitespaceAndAnEmptyHeader() throws {
        let padded = try SafeTensorsFile.parse(
            bytes: safetensorsBytes(header: "\n {\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}      ", data: littleEndianBytes([Float(7)])),
            path: "padded.safetensors")
        #expect(try padded.floats("w") == [7])

        let empty = try SafeTensorsFile.parse(bytes: safetensorsBytes(header: "{}      "), path: "empty.safetensors")
        #expect(empty.tensors.isEmpty && empty.metadata.isEmpty && empty.dataSectionByteCount == 0)
    }

    @Test func scalarsAndZeroSizedTensors() throws {
        // A scalar (shape []) has one element; a zero-sized tensor has none and may share its
        // (empty) offset with a neighbour without overlapping it.
        let header = #"{"scalar":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"# +
            #""empty":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"# +
            #""after":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"# +
            #""none":{"dtype":"F16","shape":[2,0],"data_offsets":[0,0]}}"#
        let file = try SafeTensorsFile.parse(bytes: safetensorsBytes(header: header, data: littleEndianBytes([Float(3.5), 9])), path: "z.safetensors")
        #expect(file.names == ["none", "scalar", "empty", "after"])
        #expect(file.tensor(named: "scalar")?.shape == [] && file.tensor(named: "scalar")?.elementCount == 1)
        #expect(file.tensor(named: "empty")?.elementCount == 0)
        #expect(try file.floats("scalar") == [3.5])
        #expect(try file.floats("empty") == [])
        #expect(try file.floats("none") == [])
        #expect(try file.floats("after") == [9])
        #expect(file.uncoveredDataRanges.isEmpty)
    }

    @Test func convertsF16BF16AndF64() throws {
        let f16Bits: [UInt16] = [0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0xFC00, 0x7E00, 0x8000]
        let bf16Bits: [UInt16] = [0x3F80, 0xC000, 0x4049, 0x7F80, 0x0001]
        let doubles: [Double] = [1, -2.5, 0.1, 1e300, 1e-50, 1 + 0x1p-24, 1 + 0x1.8p-23, 0x1.FFFFFFp127, .nan]
        // Odd header length: nothing in the data section is aligned, which the reader must handle.
        var header = #"{"h":{"dtype":"F16","shape":[8],"data_offsets":[0,16]},"# +
            #""b":{"dtype":"BF16","shape":[5],"data_offsets":[16,26]},"# +
            #""d":{"dtype":"F64","shape":[9],"data_offsets":[26,98]}}"#
        if header.utf8.count % 2 == 0 { header += " " }
        let bytes = safetensorsBytes(header: header, data: littleEndianBytes(f16Bits) + littleEndianBytes(bf16Bits) + littleEndianBytes(doubles))
        let file = try SafeTensorsFile.parse(bytes: bytes, path: "mixed.safetensors")

        let halves = try file.floats("h")
        #expect(Array(halves[0..<6]) == [1, -2, 65504, 0x1p-24, .infinity, -.infinity])
        #expect(halves[6].isNaN)
        #expect(halves[7] == 0 && halves[7].sign == .minus)

        #expect(try file.floats("b") == [1, -2, 3.140625, .infinity, 0x1p-133])

        let singles = try file.floats("d")
        #expect(Array(singles[0..<5]) == [1, -2.5, Float(0.1), .infinity, 0])
        #expect(singles[5] == 1, "1 + 2⁻²⁴ is a tie and rounds to even")
        #expect(singles[6] == 1 + 0x1p-22, "1 + 1.5 × 2⁻²³ is a tie and rounds to even")
        #expect(singles[7] == .infinity, "halfway to 2¹²⁸ rounds to even, which overflows")
        #expect(singles[8].isNaN)
    }

    @Test func otherDTypesParseButDoNotConvert() throws {
        let header = #"{"count":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"mask":{"dtype":"BOOL","shape":[3],"data_offsets":[8,11]},"# +
            #""packed":{"dtype":"F4","shape":[2,3],"data_offsets":[11,14]}}"#
        let data: [UInt8] = [7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0xAB, 0xCD, 0xEF]
        let file = try SafeTensorsFile.parse(bytes: safetensorsBytes(header: header, data: data), path: "ints.safetensors")
        #expect(file.tensor(named: "count")?.dtype == .int64)
        #expect(file.tensor(named: "packed")?.elementCount == 6)
        #expect(Array(try file.rawBytes("count")) == [7, 0, 0, 0, 0, 0, 0, 0])
        let error = #expect(throws: WeightsFileError.self) { try file.floats("count") }
        #expect(error?.problem == .unsupportedDType)
        #expect(error?.message == "ints.safetensors: tensor 'count' has dtype I64, which cannot be converted to float32 (supported: F32, F16, BF16, F64)")
        #expect((#expect(throws: WeightsFileError.self) { try file.floats("mask") })?.message.contains("'mask' has dtype BOOL") == true)
    }

    @Test func everyDTypeHasItsSize() throws {
        for dtype in SafeTensorsDType.allCases {
            let byteCount = 8 * dtype.bitWidth / 8  // 8 elements: whole bytes for every width
            let header = "{\"t\":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[2,4],\"data_offsets\":[0,\(byteCount)]}}"
            let file = try SafeTensorsFile.parse(bytes: safetensorsBytes(header: header, data: Array(repeating: 0, count: byteCount)), path: "t")
            #expect(file.tensor(named: "t")?.dtype == dtype)
            #expect(file.tensor(named: "t")?.dataOffsets.count == byteCount)
        }
    }

    @Test func unknownTensorName() throws {
        let file = try SafeTensorsFile.parse(bytes: safetensorsBytes(header: "{}"), path: "m.safetensors")
        let error = #expect(throws: WeightsFileError.self) { try file.floats("conv1.weight") }
        #expect(error?.problem == .noSuchTensor)
        #expect(error?.message == "m.safetensors: no tensor named 'conv1.weight' (the file has 0 tensors)")
        #expect(file.tensor(named: "conv1.weight") == nil)
    }

    @Test func bytesNoTensorCoversAreReportedNotThrown() throws {
        // Data: 4 bytes of a, a 4-byte hole, 4 bytes of b, then 6 trailing bytes.
        let header = #"{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        try withScratchDirectory { directory throws in
            let path = try directory.write("gaps.safetensors", safetensorsBytes(header: header, data: Array(repeating: 0, count: 18)))
            let file = try SafeTensorsFile.read(path: path)
            #expect(file.names == ["a", "b"])
            #expect(file.uncoveredDataRanges == [4..<8, 12..<18])
            #expect(file.warnings == [
                "\(path): warning: data bytes [4, 8) (4 bytes) belong to no tensor",
                "\(path): warning: data bytes [12, 18) (6 bytes) belong to no tensor",
            ])
            #expect(try file.floats("b") == [0])
        }
    }

    @Test func readingNeverModifiesTheFile() throws {
        try withScratchDirectory { directory throws in
            let header = #"{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F16","shape":[2],"data_offsets":[16,20]}}"#
            let path = try directory.write("keep.safetensors", safetensorsBytes(header: header, data: littleEndianBytes([Float(1), 2, 3, 4]) + littleEndianBytes([UInt16(0x3C00), 0x4000])))
            // An mtime in the past, so a write during the test could not leave it unchanged by chance.
            var times = [timeval(tv_sec: 1_000_000_000, tv_usec: 0), timeval(tv_sec: 1_000_000_000, tv_usec: 0)]
            #expect(utimes(path, &times) == 0)
            let before = try readBytes(path)
            var statusBefore = stat()
            #expect(stat(path, &statusBefore) == 0)

            let file = try SafeTensorsFile.read(path: path)
            _ = try file.floats("w")
            _ = try file.floats("b")
            _ = try SafeTensorsFile.read(path: path)

            var statusAfter = stat()
            #expect(stat(path, &statusAfter) == 0)
            #expect(try readBytes(path) == before)
            #expect(statusAfter.st_mtim.tv_sec == statusBefore.st_mtim.tv_sec)
            #expect(statusAfter.st_mtim.tv_nsec == statusBefore.st_mtim.tv_nsec)
            #expect(statusAfter.st_size == statusBefore.st_size)
            #expect(statusAfter.st_ino == statusBefore.st_ino)
        }
    }

    @Test func missingFilesAndDirectoriesAreReadErrors() throws {
        try withScratchDirectory { directory throws in
            let missing = directory.file("absent.safetensors")
            let error = #expect(throws: WeightsFileError.self) { try SafeTensorsFile.read(path: missing) }
            #expect(error?.problem == .cannotRead)
            #expect(error?.message == "\(missing): cannot open: No such file or directory")

            let folder = #expect(throws: WeightsFileError.self) { try SafeTensorsFile.read(path: directory.path) }
            #expect(folder?.message == "\(directory.path): is a directory, not a file")
        }
    }

    @Test func namesWithControlCharactersStayOnOneLine() throws {
        let header = #"{"bad\nname\u0000\"":{"dtype":"F32","shape":[1]}}"#
        let message = try expectReadFailure(safetensorsBytes(header: header), .invalidTensorEntry, "entry has no \"data_offsets\"")
        #expect(message?.contains(#"tensor 'bad\nname\u{0}"': entry"#) == true, "\(message ?? "")")
    }
}
