import CNNCRuntime
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct FileIOTests {
    @Test func atomicWriteCreatesAndReplacesWithoutLeavingATemporaryFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/out.bin"
            try FileIO.writeAtomically(path: path, bytes: [1, 2, 3])
            #expect(readFile(path) == [1, 2, 3])
            try FileIO.writeAtomically(path: path, text: "replaced")
            #expect(readFile(path) == Array("replaced".utf8))
            #expect(directoryEntries(directory) == ["out.bin"])
        }
    }

    @Test func missingDirectoryFailsCleanly() {
        withTemporaryDirectory { directory in
            let path = directory + "/no/such/dir/out.npy"
            expectRuntimeError([path, "cannot create a temporary file", "No such file"]) {
                try NPY.write(path: path, shape: [1], values: [1])
            }
            #expect(directoryEntries(directory) == [])
        }
    }

    @Test func failedReplaceKeepsTheDestinationAndRemovesTheTemporaryFile() {
        withTemporaryDirectory { directory in
            // The destination is a non-empty directory, so the final rename must fail.
            let destination = directory + "/result.npy"
            #expect(mkdir(destination, 0o755) == 0)
            writeFile(destination + "/keep", [42])
            expectRuntimeError([destination, "cannot replace"]) {
                try NPY.write(path: destination, shape: [2], values: [1, 2])
            }
            #expect(readFile(destination + "/keep") == [42])
            #expect(directoryEntries(directory) == ["result.npy"])
        }
    }

    @Test func rejectedValuesNeverTouchTheDestination() {
        withTemporaryDirectory { directory in
            let path = directory + "/image.pgm"
            writeFile(path, [7, 7, 7])
            expectRuntimeError([path, "1 or 3 channels"]) {
                try NetPBM.write(path: path, shape: FeatureShape(channels: 2, height: 1, width: 1), values: [0, 0])
            }
            #expect(readFile(path) == [7, 7, 7])
            #expect(directoryEntries(directory) == ["image.pgm"])
        }
    }

    @Test func directoryPathsAreNotFileNames() {
        expectRuntimeError(["/tmp/: is not a file name"]) { try FileIO.writeAtomically(path: "/tmp/", bytes: []) }
    }
}
