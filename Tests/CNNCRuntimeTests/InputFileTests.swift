import CNNCRuntime
import Testing

@Suite struct InputFileTests {
    let gray = FeatureShape(channels: 1, height: 2, width: 2)
    let color = FeatureShape(channels: 3, height: 1, width: 2)

    func npy(_ shape: [Int], _ values: [Float]) throws -> [UInt8] {
        try NPY.encode(shape: shape, values: values)
    }

    @Test func npyOneSampleIsNamedByItsPath() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.npy"
            writeFile(path, try npy([1, 2, 2], [1, 2, 3, 4]))
            let batch = try InputFile.read(path: path, shape: gray, preprocess: .identity)
            #expect(batch.count == 1)
            #expect(batch.values == [1, 2, 3, 4])
            #expect(batch.names == [path])
        }
    }

    @Test func npyBatchAndTwoDimensionalForms() throws {
        try withTemporaryDirectory { directory in
            let batchPath = directory + "/batch.npy"
            writeFile(batchPath, try npy([3, 1, 2, 2], (0..<12).map(Float.init)))
            let batch = try InputFile.read(path: batchPath, shape: gray, preprocess: .identity)
            #expect(batch.count == 3)
            #expect(batch.values == (0..<12).map(Float.init))
            #expect(batch.names == ["\(batchPath)[0]", "\(batchPath)[1]", "\(batchPath)[2]"])

            let plainPath = directory + "/plain.npy"
            writeFile(plainPath, try npy([2, 2], [5, 6, 7, 8]))
            #expect(try InputFile.read(path: plainPath, shape: gray, preprocess: .identity).values == [5, 6, 7, 8])
            // [H, W] only stands for one channel.
            expectRuntimeError([plainPath, "expected 3×2×2 float input", "found shape [2, 2]"]) {
                _ = try InputFile.read(path: plainPath, shape: FeatureShape(channels: 3, height: 2, width: 2),
                                       preprocess: .identity)
            }
        }
    }

    @Test func npyVectorsForAVectorInput() throws {
        let vector = FeatureShape(channels: 3, height: 1, width: 1)
        try withTemporaryDirectory { directory in
            let one = directory + "/one.npy"
            writeFile(one, try npy([3], [1, 2, 3]))
            #expect(try InputFile.read(path: one, shape: vector, preprocess: .identity).count == 1)
            let rows = directory + "/rows.npy"
            writeFile(rows, try npy([2, 3], [1, 2, 3, 4, 5, 6]))
            let batch = try InputFile.read(path: rows, shape: vector, preprocess: .identity)
            #expect(batch.count == 2)
            #expect(batch.values == [1, 2, 3, 4, 5, 6])
            // Only a C×1×1 input reads vectors.
            expectRuntimeError([rows, "expected 1×2×2 float input", "found shape [2, 3]"]) {
                _ = try InputFile.read(path: rows, shape: gray, preprocess: .identity)
            }
            expectRuntimeError([rows, "[N, 4]"]) {
                _ = try InputFile.read(path: rows, shape: FeatureShape(channels: 4, height: 1, width: 1), preprocess: .identity)
            }
        }
    }

    @Test func npyShapeMismatchNamesExpectedAndFound() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/digit.npy"
            writeFile(path, try npy([3, 28, 28], [Float](repeating: 0, count: 3 * 28 * 28)))
            expectRuntimeError(["digit.npy: expected 1×28×28 float input, found shape [3, 28, 28]",
                                "[1, 28, 28]", "[N, 1, 28, 28]", "[28, 28]"]) {
                _ = try InputFile.read(path: path, shape: FeatureShape(channels: 1, height: 28, width: 28),
                                       preprocess: .identity)
            }
            let empty = directory + "/empty.npy"
            writeFile(empty, try npy([0, 1, 2, 2], []))
            expectRuntimeError(["empty.npy", "no samples"]) {
                _ = try InputFile.read(path: empty, shape: gray, preprocess: .identity)
            }
        }
    }

    @Test func npyUInt8IsTakenAsIsWithoutPreprocessing() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/bytes.npy"
            writeFile(path, npyFile(header: "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 2), }",
                                    data: [0, 1, 128, 255]))
            let preprocess = Preprocess(scale: 2, mean: [0.5], std: [0.25])
            let batch = try InputFile.read(path: path, shape: gray, preprocess: preprocess)
            #expect(batch.values == [0, 1, 128, 255])
        }
    }

    @Test func pgmPixelsAreMappedThenPreprocessed() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.pgm"
            let pixels: [UInt8] = [0, 51, 255, 128]
            writeFile(path, Array("P5\n2 2\n255\n".utf8) + pixels)
            let preprocess = Preprocess(scale: 1, mean: [0.5], std: [0.25])
            let batch = try InputFile.read(path: path, shape: gray, preprocess: preprocess)
            #expect(batch.values == pixels.map { (Float($0) / 255 - 0.5) / 0.25 })
            #expect(batch.values[0] == -2)
            #expect(batch.values[2] == 2)
            #expect(batch.names == [path])
            // Without preprocessing the pixels are simply divided by maxval.
            #expect(try InputFile.read(path: path, shape: gray, preprocess: .identity).values == [0, 0.2, 1, Float(128) / 255])
        }
    }

    @Test func ppmPreprocessIsPerChannel() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.ppm"
            // Two pixels: (255, 0, 51) and (0, 255, 102).
            writeFile(path, Array("P6\n2 1\n255\n".utf8) + [255, 0, 51, 0, 255, 102])
            let preprocess = Preprocess(scale: 2, mean: [0.1, 0.2, 0.3], std: [1, 2, 4])
            let batch = try InputFile.read(path: path, shape: color, preprocess: preprocess)
            let expected: [Float] = [
                (1 * 2 - 0.1) / 1, (0 * 2 - 0.1) / 1,
                (0 * 2 - 0.2) / 2, (1 * 2 - 0.2) / 2,
                (Float(51) / 255 * 2 - 0.3) / 4, (Float(102) / 255 * 2 - 0.3) / 4,
            ]
            #expect(batch.values == expected)
        }
    }

    @Test func sixteenBitPGMInput() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/deep.pgm"
            writeFile(path, Array("P5\n2 2\n65535\n".utf8) + [0, 0, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x01])
            let batch = try InputFile.read(path: path, shape: gray, preprocess: Preprocess(mean: [0.5], std: [0.5]))
            #expect(batch.values == [-1, 1, (Float(32768) / 65535 - 0.5) / 0.5, (Float(1) / 65535 - 0.5) / 0.5])
        }
    }

    @Test func imageMismatchesAreErrorsNotConversions() {
        withTemporaryDirectory { directory in
            let ppm = directory + "/color.ppm"
            writeFile(ppm, Array("P6\n2 2\n255\n".utf8) + [UInt8](repeating: 9, count: 12))
            expectRuntimeError([ppm, "expected a 1-channel (PGM) image", "found a 3-channel PPM"]) {
                _ = try InputFile.read(path: ppm, shape: gray, preprocess: .identity)
            }
            let pgm = directory + "/wide.pgm"
            writeFile(pgm, Array("P5\n3 2\n255\n".utf8) + [UInt8](repeating: 9, count: 6))
            expectRuntimeError([pgm, "expected a 2×2 image", "found 3×2", "not resized"]) {
                _ = try InputFile.read(path: pgm, shape: gray, preprocess: .identity)
            }
            expectRuntimeError([pgm, "expected a 3-channel (PPM) image", "found a 1-channel PGM"]) {
                _ = try InputFile.read(path: pgm, shape: FeatureShape(channels: 3, height: 2, width: 3), preprocess: .identity)
            }
            expectRuntimeError([pgm, "4 input channels", "1 or 3"]) {
                _ = try InputFile.read(path: pgm, shape: FeatureShape(channels: 4, height: 2, width: 3), preprocess: .identity)
            }
        }
    }

    @Test func preprocessValuesMustFitTheChannels() {
        withTemporaryDirectory { directory in
            let path = directory + "/x.ppm"
            writeFile(path, Array("P6\n2 1\n255\n".utf8) + [1, 2, 3, 4, 5, 6])
            expectRuntimeError([path, "preprocess mean has 2 values", "expected 1 or 3"]) {
                _ = try InputFile.read(path: path, shape: color, preprocess: Preprocess(mean: [0, 0]))
            }
            expectRuntimeError([path, "preprocess std[1] is 0.0"]) {
                _ = try InputFile.read(path: path, shape: color, preprocess: Preprocess(std: [1, 0, 1]))
            }
        }
    }

    @Test func rawFloat32OneSampleOrAnExactMultiple() throws {
        try withTemporaryDirectory { directory in
            let one = directory + "/one.f32"
            writeFile(one, littleEndianBytes([Float(1), 2, 3, 4]))
            let single = try InputFile.read(path: one, shape: gray, preprocess: Preprocess(scale: 9))
            #expect(single.values == [1, 2, 3, 4])
            #expect(single.names == [one])

            let two = directory + "/two.f32"
            writeFile(two, littleEndianBytes((0..<8).map(Float.init)))
            let pair = try InputFile.read(path: two, shape: gray, preprocess: .identity)
            #expect(pair.count == 2)
            #expect(pair.names == ["\(two)[0]", "\(two)[1]"])

            let short = directory + "/short.f32"
            writeFile(short, littleEndianBytes([Float(1), 2, 3]))
            expectRuntimeError([short, "expected 16 bytes", "1×2×2", "found 12 bytes"]) {
                _ = try InputFile.read(path: short, shape: gray, preprocess: .identity)
            }
            let empty = directory + "/empty.f32"
            writeFile(empty, [])
            expectRuntimeError([empty, "expected 16 bytes", "found 0 bytes"]) {
                _ = try InputFile.read(path: empty, shape: gray, preprocess: .identity)
            }
        }
    }

    @Test func formatComesFromTheExtensionElseTheMagic() throws {
        try withTemporaryDirectory { directory in
            let npyData = directory + "/sample.bin"
            writeFile(npyData, try npy([1, 2, 2], [1, 2, 3, 4]))
            #expect(try InputFile.read(path: npyData, shape: gray, preprocess: .identity).values == [1, 2, 3, 4])

            let image = directory + "/image.DAT"
            writeFile(image, Array("P5\n2 2\n255\n".utf8) + [0, 0, 255, 255])
            #expect(try InputFile.read(path: image, shape: gray, preprocess: .identity).values == [0, 0, 1, 1])

            let upper = directory + "/IMAGE.PGM"
            writeFile(upper, Array("P5\n2 2\n255\n".utf8) + [0, 0, 255, 255])
            #expect(try InputFile.read(path: upper, shape: gray, preprocess: .identity).count == 1)

            let unknown = directory + "/notes.txt"
            writeFile(unknown, Array("hello".utf8))
            expectRuntimeError([unknown, "unknown input format", ".npy, .pgm, .ppm, .pnm, .f32"]) {
                _ = try InputFile.read(path: unknown, shape: gray, preprocess: .identity)
            }
            let ascii = directory + "/ascii.pgm"
            writeFile(ascii, Array("P2\n2 2\n255\n0 0 0 0\n".utf8))
            expectRuntimeError([ascii, "ASCII", "not supported"]) {
                _ = try InputFile.read(path: ascii, shape: gray, preprocess: .identity)
            }
        }
    }

    @Test func severalPathsFormOneBatchInOrder() throws {
        try withTemporaryDirectory { directory in
            let a = directory + "/a.npy", b = directory + "/b.f32", c = directory + "/c.pgm"
            writeFile(a, try npy([1, 2, 2], [1, 1, 1, 1]))
            writeFile(b, littleEndianBytes([Float](repeating: 2, count: 8)))
            writeFile(c, Array("P5\n2 2\n255\n".utf8) + [255, 255, 255, 255])
            let batch = try InputFile.read(paths: [a, b, c], shape: gray, preprocess: .identity)
            #expect(batch.count == 4)
            #expect(batch.names == [a, "\(b)[0]", "\(b)[1]", c])
            #expect(batch.values == [Float](repeating: 1, count: 4) + [Float](repeating: 2, count: 8) + [1, 1, 1, 1])
            expectRuntimeError(["no input files"]) {
                _ = try InputFile.read(paths: [], shape: gray, preprocess: .identity)
            }
        }
    }

    @Test func unreadablePathsAreNamed() {
        withTemporaryDirectory { directory in
            expectRuntimeError([directory + "/missing.npy: cannot open", "No such file"]) {
                _ = try InputFile.read(path: directory + "/missing.npy", shape: gray, preprocess: .identity)
            }
            expectRuntimeError([directory + ": is a directory"]) {
                _ = try InputFile.read(path: directory, shape: gray, preprocess: .identity)
            }
        }
    }

    @Test func readingLeavesTheFileUnchanged() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.pgm"
            let bytes = Array("P5\n2 2\n255\n".utf8) + [1, 2, 3, 4]
            writeFile(path, bytes)
            _ = try InputFile.read(path: path, shape: gray, preprocess: Preprocess(mean: [0.5]))
            #expect(readFile(path) == bytes)
            #expect(directoryEntries(directory) == ["x.pgm"])
        }
    }

    #if os(Linux)
    @Test func readsFilesWhoseSizeIsNotKnownInAdvance() throws {
        // /proc files report size 0; the reader must read until end of file.
        let bytes = try FileIO.readAll(path: "/proc/self/status")
        #expect(String(decoding: bytes, as: UTF8.self).contains("Name:"))
    }
#endif
}
