#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way cnnc and its inferencers write a file the user named, so that no output destroys
/// what it should not:
/// - a regular file (or a new one) is replaced atomically: a temporary file beside it is written in
///   full, synced and renamed over it, keeping the old file's permissions; a reader sees the old
///   file or the whole new one, and a failure leaves the old one untouched;
/// - a symbolic link is followed, and its target is replaced: the link the user named stays a link;
/// - a character device, pipe or FIFO (`/dev/null`, `/dev/stdout`, `mkfifo`) is written directly,
///   never renamed over, and `-`, `/dev/stdout`, `/dev/stderr` and `/dev/fd/N` write to the
///   process's own descriptor;
/// - an empty path, a directory, a block device or a socket is refused with a one-line error.
public final class OutputFile {
    public let path: String
    /// Where the bytes go: write through `write(_:)`.
    private var descriptor: Int32
    /// The temporary file renamed over `destination` by `commit()`; nil when writing directly.
    private let temporaryPath: String?
    private let destination: String
    private var finished = false

    /// Opens `path` for writing as described above. `executable` makes a new file (or an existing
    /// one) executable by whoever may read it, as a linker does.
    public init(path: String, executable: Bool = false) throws(RuntimeError) {
        self.path = path
        if path.allSatisfy(\.isWhitespace) {
            throw RuntimeError("the output path is \(path.isEmpty ? "empty" : "blank"); name a file")
        }
        if let stream = OutputFile.standardStream(path) {
            let copy = fcntl(stream, F_DUPFD_CLOEXEC, 3)
            guard copy >= 0 else { throw RuntimeError(path: path, "cannot write: \(errorText(errno))") }
            descriptor = copy
            temporaryPath = nil
            destination = path
            return
        }
        let (_, fileName) = splitPath(path)
        if fileName.isEmpty || fileName == "." || fileName == ".." {
            throw RuntimeError(path: path, "is not a file name")
        }
        let target = try OutputFile.followingLinks(path)
        var existing = stat()
        let exists = stat(target, &existing) == 0
        if !exists && errno != ENOENT { throw RuntimeError(path: path, "cannot write: \(errorText(errno))") }
        switch exists ? existing.st_mode & S_IFMT : S_IFREG {
        case S_IFREG:
            destination = target
            let (directory, targetName) = splitPath(target)
            // Our own unique name with O_EXCL rather than mkstemp, so a new file gets the usual
            // 0666 & ~umask permissions instead of mkstemp's 0600.
            var temporary = ""
            var fd: Int32 = -1
            let stem = FileIO.boundedStem(targetName)
            for attempt in 0..<100 {
                temporary = "\(directory)/.\(stem).tmp-\(getpid())-\(monotonicNanoseconds() % 1_000_000_000)-\(attempt)"
                fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, executable ? 0o777 : 0o666)
                if fd >= 0 || errno != EEXIST { break }
            }
            if fd < 0 {
                throw RuntimeError(path: path, "cannot create a temporary file in '\(directory)': \(errorText(errno))")
            }
            if exists {
                let permissions = existing.st_mode & 0o7777
                _ = fchmod(fd, executable ? permissions | (permissions & 0o444) >> 2 : permissions)
            }
            descriptor = fd
            temporaryPath = temporary
        case S_IFCHR, S_IFIFO:
            // Opening a FIFO waits for a reader, as the shell's `>` does.
            let fd = open(target, O_WRONLY | O_CLOEXEC | O_NOCTTY)
            guard fd >= 0 else { throw RuntimeError(path: path, "cannot write: \(errorText(errno))") }
            descriptor = fd
            temporaryPath = nil
            destination = target
        case S_IFDIR:
            throw RuntimeError(path: path, "is a directory; name a file inside it")
        case S_IFBLK:
            throw RuntimeError(path: path, "is a block device; outputs go to files, character devices or pipes")
        default:
            throw RuntimeError(path: path, "is a socket or other special file; outputs go to files, character devices or pipes")
        }
    }

    deinit {
        if !finished {
            close(descriptor)
            if let temporaryPath { unlink(temporaryPath) }
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(RuntimeError) {
        let failure = writeAll(descriptor, bytes)
        if failure != 0 { throw RuntimeError(path: path, "cannot write: \(errorText(failure))") }
    }

    /// Writes the bytes of an array of plain values (bytes, floats) as they lie in memory.
    public func write<Element: BitwiseCopyable>(_ values: [Element]) throws(RuntimeError) {
        let failure = values.withUnsafeBytes { writeAll(descriptor, $0) }
        if failure != 0 { throw RuntimeError(path: path, "cannot write: \(errorText(failure))") }
    }

    /// Puts the written bytes in place. Without it (an error thrown while writing), the temporary
    /// file is removed and the old file stays as it was.
    public func commit() throws(RuntimeError) {
        finished = true
        guard let temporaryPath else {
            if close(descriptor) != 0 && errno != EINTR { throw RuntimeError(path: path, "cannot write: \(errorText(errno))") }
            return
        }
        func fail(_ what: String, _ code: Int32) -> RuntimeError {
            unlink(temporaryPath)
            return RuntimeError(path: path, "\(what): \(errorText(code))")
        }
        if fsync(descriptor) != 0 {
            let code = errno
            close(descriptor)
            throw fail("cannot sync", code)
        }
        if close(descriptor) != 0 { throw fail("cannot write", errno) }
        if rename(temporaryPath, destination) != 0 { throw fail("cannot replace", errno) }
        // Make the rename itself durable; failing here loses nothing already written.
        let directoryFD = open(splitPath(destination).directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// Whether `path` names one of the process's open descriptors (`-`, `/dev/stdout`, …): a command
    /// that writes its result there prints no "wrote …" line into the same stream.
    public static func isStandardStream(_ path: String) -> Bool {
        standardStream(path) != nil
    }

    /// The descriptor that `-`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N` name.
    /// Opening those anew would restart a redirected file at offset 0 and, through `/proc`, resolve
    /// to a path that a rename would replace; writing the descriptor appends as the shell intended.
    static func standardStream(_ path: String) -> Int32? {
        switch path {
        case "-", "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                let number = path.dropFirst(prefix.count)
                guard !number.isEmpty, number.count <= 9, number.allSatisfy(\.isASCII), let fd = Int32(number) else { return nil }
                return fd
            }
            return nil
        }
    }

    /// `path` with every symbolic link in its last component followed (at most 40, like the kernel),
    /// so that a link is kept and its target replaced. A dangling link names the file to create.
    static func followingLinks(_ path: String) throws(RuntimeError) -> String {
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return current }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(current, &buffer, buffer.count - 1)
            guard length > 0 else { throw RuntimeError(path: path, "cannot read the symbolic link: \(errorText(errno))") }
            let link = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let (directory, _) = splitPath(current)
            current = link.hasPrefix("/") ? link : (current.contains("/") ? directory + "/" : "") + link
        }
        throw RuntimeError(path: path, "cannot write: too many levels of symbolic links")
    }
}

extension FileIO {
    /// Writes `bytes` to the file the user named, through `OutputFile`.
    public static func writeOutput(path: String, bytes: [UInt8], executable: Bool = false) throws(RuntimeError) {
        let output = try OutputFile(path: path, executable: executable)
        try output.write(bytes)
        try output.commit()
    }

    /// `writeOutput` for text, as UTF-8.
    public static func writeOutput(path: String, text: String) throws(RuntimeError) {
        try writeOutput(path: path, bytes: Array(text.utf8))
    }

    /// Whether two paths name one regular file: the same device and inode (links and `./a` vs `a`
    /// included). Devices and pipes are not compared: `--input /dev/stdin --output /dev/stdout` on
    /// one terminal is fine.
    public static func isSameRegularFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0,
              first.st_mode & S_IFMT == S_IFREG, second.st_mode & S_IFMT == S_IFREG else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// Refuses to write `output` when it is one of `inputs`: the input would be destroyed.
    public static func refuseOutput(_ output: String, overwritingAnyOf inputs: [String]) throws(RuntimeError) {
        for input in inputs where isSameRegularFile(output, input) {
            throw RuntimeError("\(output) is also the input \(input); writing it would destroy that file: choose another output")
        }
    }
}
