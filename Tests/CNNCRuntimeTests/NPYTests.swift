import CNNCRuntime
import Testing

@Suite struct NPYTests {
    @Test func writeThenReadRoundTrips() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.npy"
            let values: [Float] = [0, -1.5, 3.25, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e-7]
            try NPY.write(path: path, shape: [2, 3], values: values)
            let array = try NPY.read(path: path)
            #expect(array.shape == [2, 3])
            #expect(array.values == values)
        }
    }

    @Test func headerIsPaddedToSixtyFourBytesLikeNumPy() throws {
        for shape in [[5], [2, 3], [7, 1, 28, 28], [123456789, 0]] {
            let count = shape.reduce(1, *)
            let bytes = try NPY.encode(shape: shape, values: [Float](repeating: 1, count: count))
            #expect(bytes.prefix(8) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            #expect((10 + headerLength) % 64 == 0)
            #expect(bytes[10 + headerLength - 1] == 0x0A)
            let header = String(decoding: bytes[10..<10 + headerLength], as: UTF8.self)
            #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': ("))
            #expect(bytes.count == 10 + headerLength + 4 * count)
        }
        let vector = try NPY.encode(shape: [5], values: [Float](repeating: 0, count: 5))
        #expect(String(decoding: vector, as: UTF8.self).contains("'shape': (5,), }"))
    }

    @Test func encodeRejectsValuesThatDoNotFitTheShape() {
        expectRuntimeError(["out.npy", "shape [2, 3]", "5 values"]) {
            _ = try NPY.encode(shape: [2, 3], values: [1, 2, 3, 4, 5], name: "out.npy")
        }
    }

    @Test(arguments: [(UInt8(2), UInt8(0)), (3, 0)])
    func readsFormatVersionsTwoAndThree(major: UInt8, minor: UInt8) throws {
        let bytes = npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
                            version: (major, minor), data: littleEndianBytes([Float(1.5), -2]))
        let array = try NPY.decode(bytes, name: "v.npy")
        #expect(array.shape == [2])
        #expect(array.values == [1.5, -2])
    }

    @Test func convertsFloat64AndUInt8AndBigEndianFloat32() throws {
        let float64 = npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                              data: littleEndianBytes([0.1, -2.0, 1e300]))
        #expect(try NPY.decode(float64, name: "d.npy").values == [Float(0.1), -2, .infinity])

        for descr in ["|u1", "u1", "<u1"] {
            let uint8 = npyFile(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (3,), }",
                                data: [0, 7, 255])
            #expect(try NPY.decode(uint8, name: "u.npy").values == [0, 7, 255])
        }

        let bigEndian = npyFile(header: "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                                data: bigEndianBytes([3.5, -0.25]))
        #expect(try NPY.decode(bigEndian, name: "b.npy").values == [3.5, -0.25])
    }

    @Test(arguments: [
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }",
        "{'descr':'<f4','fortran_order':False,'shape':(2,1)}",
        "  { \"shape\" : ( 2 , 1 , ) ,\n 'fortran_order' : False , 'descr' : \"<f4\" , }  \n",
        "{'descr': '<f4', 'fortran_order': False, 'shape': [2, 1]}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 1L), }",
    ])
    func toleratesHeaderSpellings(header: String) throws {
        let bytes = npyFile(header: header, data: littleEndianBytes([Float(1), 2]))
        let array = try NPY.decode(bytes, name: "h.npy")
        #expect(array.shape == [2, 1])
        #expect(array.values == [1, 2])
    }

    @Test func emptyShapeIsAScalar() throws {
        let bytes = npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                            data: littleEndianBytes([Float(4)]))
        let array = try NPY.decode(bytes, name: "s.npy")
        #expect(array.shape == [])
        #expect(array.values == [4])
    }

    static let goodHeader = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
    static let sixFloats = littleEndianBytes([Float](repeating: 1, count: 6))

    static let malformed: [(bytes: [UInt8], fragments: [String])] = [
        ([], ["bad magic"]),
        (Array("hello, this is not numpy".utf8), ["bad magic"]),
        ([0x93, 0x4E, 0x55], ["truncated .npy header"]),
        ([0x93] + Array("NUMPY".utf8) + [1, 0, 100, 0] + Array("{'descr'".utf8), ["truncated .npy header", "110"]),
        (npyFile(header: goodHeader, version: (4, 0), data: sixFloats), ["unsupported .npy format version 4.0"]),
        (npyFile(header: "not a dict", data: sixFloats), ["bad .npy header"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False}", data: sixFloats), ["bad .npy header", "missing key 'shape'"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", data: sixFloats),
         ["unexpected key 'extra'"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (2, 3)}", data: sixFloats),
         ["'shape' appears twice"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", data: sixFloats), ["bad .npy header"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk", data: sixFloats),
         ["bad .npy header", "after the dict"]),
        (npyFile(header: "{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", data: sixFloats), ["bad .npy header"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3)}", data: sixFloats),
         ["bad .npy header", "Maybe"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}", data: sixFloats), ["negative"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5, 3)}", data: sixFloats), ["bad .npy header"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 100) + "}",
                 data: sixFloats), ["nested too deeply"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data: sixFloats), ["Fortran"]),
        (npyFile(header: "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", data: sixFloats),
         ["unsupported dtype '<i4'", "<f4, <f8, |u1"]),
        (npyFile(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }", data: sixFloats),
         ["structured"]),
        (npyFile(header: goodHeader, data: Array(sixFloats.dropLast(4))), ["truncated", "needs 24 bytes, found 20"]),
        (npyFile(header: goodHeader, data: sixFloats + [0, 0, 0, 0]), ["needs 24 bytes, found 28"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999, 9999999999, 9999999999), }"),
         ["shape [9999999999, 9999999999, 9999999999] is too large"]),
        (npyFile(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }"), ["too large"]),
        (npyFile(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }"),
         ["99999999999999999999999 is too large"]),
    ]

    @Test(arguments: malformed)
    func malformedFilesAreOneLineErrorsNamingTheFile(bytes: [UInt8], fragments: [String]) {
        expectRuntimeError(["bad.npy: "] + fragments) {
            _ = try NPY.decode(bytes, name: "bad.npy")
        }
    }

    @Test func readingAMissingFileNamesIt() {
        expectRuntimeError(["/nonexistent/x.npy: cannot open", "No such file"]) {
            _ = try NPY.read(path: "/nonexistent/x.npy")
        }
    }
}

@Suite(.enabled(if: numpyAvailable, "needs python3 with numpy"))
struct NumPyInteroperabilityTests {
    @Test func numpyLoadsWhatWeWrite() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/ours.npy"
            let values: [Float] = [0, 1, 2, 3.5, -4, 5e-8]
            try NPY.write(path: path, shape: [2, 1, 1, 3], values: values)
            let result = runPython("""
                import numpy as np
                a = np.load('\(path)')
                print(a.dtype, a.shape, a.flatten().tolist())
                """)
            #expect(result?.status == 0)
            // Python's repr and Swift's description are both the shortest round-trip text of a double.
            let list = values.map { Double($0).description }.joined(separator: ", ")
            #expect(result?.output == "float32 (2, 1, 1, 3) [\(list)]\n")
        }
    }

    @Test func weReadWhatNumPyWrites() throws {
        try withTemporaryDirectory { directory in
            let result = runPython("""
                import numpy as np
                d = '\(directory)'
                a = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
                np.save(d + '/f4.npy', a)
                np.save(d + '/f8.npy', a.astype(np.float64))
                np.save(d + '/u1.npy', (a * 4).astype(np.uint8))
                np.save(d + '/be.npy', a.astype('>f4'))
                np.save(d + '/fortran.npy', np.asfortranarray(a))
                for v in [(2, 0), (3, 0)]:
                    with open(d + '/v%d.npy' % v[0], 'wb') as f:
                        np.lib.format.write_array(f, a, version=v)
                """)
            #expect(result?.status == 0)
            let expected: [Float] = [0, 0.25, 0.5, 0.75, 1, 1.25]
            for name in ["f4", "f8", "be", "v2", "v3"] {
                let array = try NPY.read(path: "\(directory)/\(name).npy")
                #expect(array.shape == [2, 3], "\(name)")
                #expect(array.values == expected, "\(name)")
            }
            #expect(try NPY.read(path: directory + "/u1.npy").values == [0, 1, 2, 3, 4, 5])
            expectRuntimeError(["fortran.npy", "Fortran"]) { _ = try NPY.read(path: directory + "/fortran.npy") }
        }
    }
}
