import CNNCRuntime
import Testing

@Suite struct NetPBMTests {
    @Test func pgmRoundTripClampsAndRounds() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.pgm"
            let shape = FeatureShape(channels: 1, height: 2, width: 3)
            try NetPBM.write(path: path, shape: shape, values: [0, 0.5, 1, -1, 2, .nan])
            #expect(readFile(path) == Array("P5\n3 2\n255\n".utf8) + [0, 128, 255, 0, 255, 0])
            let image = try NetPBM.read(path: path)
            #expect(image.shape == shape)
            #expect(image.maxval == 255)
            #expect(image.values == [0, 128 / 255, 1, 0, 1, 0])
        }
    }

    @Test func ppmRoundTripInterleavesChannels() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.ppm"
            let shape = FeatureShape(channels: 3, height: 1, width: 2)
            // C,H,W: red plane, green plane, blue plane.
            let values: [Float] = [1, 0, 0, 1, 0.2, 0.6]
            try NetPBM.write(path: path, shape: shape, values: values)
            #expect(readFile(path) == Array("P6\n2 1\n255\n".utf8) + [255, 0, 51, 0, 255, 153])
            let image = try NetPBM.read(path: path)
            #expect(image.shape == shape)
            #expect(image.values == [1, 0, 0, 1, 51 / 255, 153 / 255])
        }
    }

    @Test func readsSixteenBitBigEndianSamples() throws {
        let bytes = Array("P5\n2 2\n65535\n".utf8) + [0x00, 0x00, 0x80, 0x00, 0xFF, 0xFF, 0x03, 0xE8]
        let image = try NetPBM.decode(bytes, name: "deep.pgm")
        #expect(image.maxval == 65535)
        #expect(image.values == [0, Float(32768) / 65535, 1, Float(1000) / 65535])

        let small = Array("P6 1 1 1000\n".utf8) + [0x03, 0xE8, 0x01, 0xF4, 0x00, 0x00]
        #expect(try NetPBM.decode(small, name: "deep.ppm").values == [1, 0.5, 0])
    }

    @Test func smallMaxvalScalesToOne() throws {
        let bytes = Array("P5\n3 1\n15\n".utf8) + [0, 5, 15]
        #expect(try NetPBM.decode(bytes, name: "x.pgm").values == [0, Float(5) / 15, 1])
    }

    @Test func headerCommentsAndWhitespaceAreSkipped() throws {
        let bytes = Array("P5# made by hand\n# another\n  2\t# width\n1\r\n# maxval next\n255\n".utf8) + [10, 20]
        let image = try NetPBM.decode(bytes, name: "x.pgm")
        #expect(image.shape == FeatureShape(channels: 1, height: 1, width: 2))
        #expect(image.values == [Float(10) / 255, Float(20) / 255])
    }

    @Test func writerRefusesOtherChannelCountsAndWrongValueCounts() {
        expectRuntimeError(["y.pgm", "1 or 3 channels", "16×2×2"]) {
            try NetPBM.write(path: "y.pgm", shape: FeatureShape(channels: 16, height: 2, width: 2),
                             values: [Float](repeating: 0, count: 64))
        }
        expectRuntimeError(["y.pgm", "does not hold 3 values"]) {
            try NetPBM.write(path: "y.pgm", shape: FeatureShape(channels: 1, height: 2, width: 2), values: [0, 0, 0])
        }
    }

    static let malformed: [(bytes: [UInt8], fragments: [String])] = [
        ([], ["bad magic"]),
        (Array("XY\n1 1\n255\n\0".utf8), ["bad magic"]),
        (Array("P9\n1 1\n255\n\0".utf8), ["bad magic"]),
        (Array("P2\n2 1\n255\n0 255\n".utf8), ["ASCII", "P2/P3", "not supported"]),
        (Array("P3\n1 1\n255\n0 0 0\n".utf8), ["ASCII", "not supported"]),
        (Array("P4\n8 1\n\0".utf8), ["PBM", "not supported"]),
        (Array("P7\nWIDTH 1\n".utf8), ["PAM", "not supported"]),
        (Array("P5\n2 2\n0\n".utf8) + [0, 0, 0, 0], ["maxval 0 is out of range"]),
        (Array("P5\n2 2\n65536\n".utf8) + [0, 0, 0, 0, 0, 0, 0, 0], ["maxval 65536 is out of range"]),
        (Array("P5\n0 2\n255\n".utf8), ["image size 0×2 is empty"]),
        (Array("P5\n2 0\n255\n".utf8), ["image size 2×0 is empty"]),
        (Array("P5\n99999999999 99999999999\n255\n".utf8), ["width 99999999999 is too large"]),
        (Array("P5\n2000000 2000000\n255\n".utf8) + [0], ["too large"]),
        (Array("P5\n2 2\n255\n".utf8) + [1, 2, 3], ["pixel data is truncated", "needs 4 bytes, found 3"]),
        (Array("P5\n2 2\n65535\n".utf8) + [1, 2, 3, 4, 5, 6, 7], ["pixel data is truncated", "needs 8 bytes, found 7"]),
        (Array("P6\n2 2\n255\n".utf8) + [UInt8](repeating: 0, count: 11), ["needs 12 bytes, found 11"]),
        (Array("P5\n2 2\n255".utf8), ["truncated"]),
        (Array("P5\n2 2".utf8), ["truncated header", "no maxval"]),
        (Array("P5\n2 x 255\n".utf8), ["bad header", "expected the height, found 'x'"]),
        (Array("P52 2 255\n".utf8), ["bad header"]),
        (Array("P5\n2 1\n255x".utf8) + [0, 0], ["bad header", "whitespace"]),
        (Array("P5\n2 1\n255\n".utf8) + [0, 0, 0, 0], ["2 bytes after the pixel data"]),
        (Array("P5\n2 1\n10\n".utf8) + [5, 20], ["pixel value 20 exceeds maxval 10"]),
    ]

    @Test(arguments: malformed)
    func malformedFilesAreOneLineErrorsNamingTheFile(bytes: [UInt8], fragments: [String]) {
        expectRuntimeError(["bad.pgm: "] + fragments) {
            _ = try NetPBM.decode(bytes, name: "bad.pgm")
        }
    }
}

@Suite struct RawFloat32Tests {
    @Test func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.f32"
            let values: [Float] = [1, -2.5, .infinity, 0]
            try RawFloat32.write(path: path, values: values)
            #expect(readFile(path) == littleEndianBytes(values))
            #expect(try RawFloat32.read(path: path) == values)
        }
    }

    @Test func sizeMustBeAMultipleOfFour() {
        expectRuntimeError(["odd.f32", "6 bytes", "multiple of 4"]) {
            _ = try RawFloat32.decode([1, 2, 3, 4, 5, 6], name: "odd.f32")
        }
    }
}
