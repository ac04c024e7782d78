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
            try FileIO.writeOutput(path: path, bytes: [1, 2, 3])
            #expect(readFile(path) == [1, 2, 3])
            try FileIO.writeOutput(path: path, text: "replaced")
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

    @Test func aDirectoryIsRefusedAndLeftAsItWas() {
        withTemporaryDirectory { directory in
            let destination = directory + "/result.npy"
            #expect(mkdir(destination, 0o755) == 0)
            writeFile(destination + "/keep", [42])
            expectRuntimeError([destination, "is a directory"]) {
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
        expectRuntimeError(["/tmp/: is not a file name"]) { try FileIO.writeOutput(path: "/tmp/", bytes: []) }
        expectRuntimeError(["/tmp: is a directory; name a file inside it"]) { try FileIO.writeOutput(path: "/tmp", bytes: []) }
        expectRuntimeError(["the output path is empty"]) { try FileIO.writeOutput(path: "", bytes: []) }
        expectRuntimeError(["the output path is blank"]) { try FileIO.writeOutput(path: " \t", bytes: []) }
    }
}

/// The output routine with special files (hardening issue, defect 2): none is replaced by a regular file.
@Suite struct OutputFileTests {
    @Test func aSymbolicLinkStaysALinkAndItsTargetIsReplaced() throws {
        try withTemporaryDirectory { directory in
            writeFile(directory + "/target.bin", [9])
            #expect(symlink("target.bin", directory + "/link.bin") == 0)
            try FileIO.writeOutput(path: directory + "/link.bin", bytes: [1, 2])
            var info = stat()
            #expect(lstat(directory + "/link.bin", &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
            #expect(readFile(directory + "/target.bin") == [1, 2])
            // A chain of links, and a dangling one that names the file to create.
            #expect(symlink("link.bin", directory + "/second.bin") == 0)
            try FileIO.writeOutput(path: directory + "/second.bin", bytes: [3])
            #expect(readFile(directory + "/target.bin") == [3])
            #expect(symlink("created.bin", directory + "/dangling.bin") == 0)
            try FileIO.writeOutput(path: directory + "/dangling.bin", bytes: [4])
            #expect(readFile(directory + "/created.bin") == [4])
            #expect(directoryEntries(directory) == ["created.bin", "dangling.bin", "link.bin", "second.bin", "target.bin"])
        }
    }

    @Test func aLinkLoopIsAnErrorNotAHang() {
        withTemporaryDirectory { directory in
            #expect(symlink("b", directory + "/a") == 0)
            #expect(symlink("a", directory + "/b") == 0)
            expectRuntimeError([directory + "/a", "too many levels of symbolic links"]) {
                try FileIO.writeOutput(path: directory + "/a", bytes: [1])
            }
        }
    }

    @Test func aFIFOIsWrittenDirectlyAndStaysAFIFO() throws {
        try withTemporaryDirectory { directory in
            let fifo = directory + "/pipe"
            #expect(mkfifo(fifo, 0o600) == 0)
            // The reader opens in non-blocking mode first, so the writer's open does not wait.
            let reader = open(fifo, O_RDONLY | O_NONBLOCK)
            #expect(reader >= 0)
            defer { close(reader) }
            try FileIO.writeOutput(path: fifo, bytes: [5, 6, 7])
            var buffer = [UInt8](repeating: 0, count: 16)
            let count = read(reader, &buffer, buffer.count)
            #expect(count == 3 && Array(buffer[0..<3]) == [5, 6, 7])
            var info = stat()
            #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
            #expect(directoryEntries(directory) == ["pipe"])
        }
    }

    @Test func descriptorPathsWriteTheOpenDescriptor() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        for path in ["/dev/fd/\(ends[1])", "/proc/self/fd/\(ends[1])"] {
            try FileIO.writeOutput(path: path, text: "hi")
        }
        close(ends[1])
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = read(ends[0], &buffer, buffer.count)
        #expect(count == 4 && Array(buffer[0..<4]) == Array("hihi".utf8))
        expectRuntimeError(["/dev/fd/987654: cannot write: Bad file descriptor"]) {
            try FileIO.writeOutput(path: "/dev/fd/987654", bytes: [1])
        }
    }

    @Test func aCharacterDeviceIsWrittenNotReplaced() throws {
        // /dev/null stands for every character device; as root, a rename would replace it.
        try FileIO.writeOutput(path: "/dev/null", bytes: [1, 2, 3])
        var info = stat()
        #expect(lstat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
    }

    @Test func replacingKeepsTheFilesPermissions() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/secret.json"
            writeFile(path, [1])
            #expect(chmod(path, 0o600) == 0)
            try FileIO.writeOutput(path: path, text: "{}")
            var info = stat()
            #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
            try FileIO.writeOutput(path: path, bytes: [0x7f], executable: true)
            #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o700)
        }
    }

    @Test func anOutputThatIsAnInputIsRefused() throws {
        try withTemporaryDirectory { directory in
            let input = directory + "/in.npy"
            try NPY.write(path: input, shape: [1, 1, 1], values: [1])
            #expect(symlink("in.npy", directory + "/alias.npy") == 0)
            for output in [input, directory + "/./in.npy", directory + "/alias.npy"] {
                expectRuntimeError(["is also the input", "would destroy that file"]) {
                    try FileIO.refuseOutput(output, overwritingAnyOf: [input])
                }
            }
            try FileIO.refuseOutput(directory + "/other.npy", overwritingAnyOf: [input])
            try FileIO.refuseOutput("/dev/stdout", overwritingAnyOf: ["/dev/stdin"])
            // The inferencer's run refuses it before writing anything.
            let request = RunRequest(inputs: [input], output: input)
            let network = NetworkInterface(inputShape: FeatureShape(channels: 1, height: 1, width: 1), outputShape: FeatureShape(channels: 1, height: 1, width: 1))
            expectRuntimeError(["is also the input"]) {
                _ = try request.perform(network: network) { input, count, output in output[0] = input[0] * 2 }
            }
            #expect(try NPY.read(path: input).values == [1])
        }
    }
}
