#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads over plain POSIX calls; writes go through `OutputFile`.
public enum FileIO {
    /// Reads the whole file with as few `read` calls as possible (one for a regular file).
    /// Works for files whose size is not known in advance too (`/proc`, pipes).
    /// The largest input file (`.npy`, PGM/PPM, `.f32`) read: 512 MiB, about 134 million floats.
    /// Larger batches go in several files (docs/runtime-io.md).
    public static let inputLimit = 512 << 20

    /// The whole file, refusing one larger than `limit` bytes before reading more than `limit + 1` of
    /// it (a device or pipe has no size to check first: `/dev/zero` is read only that far).
    public static func readAll(path: String, limit: Int = inputLimit) throws(RuntimeError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw RuntimeError(path: path, "cannot open: \(errorText(errno))") }
        defer { close(fd) }

        var info = stat()
        if fstat(fd, &info) != 0 { throw RuntimeError(path: path, "cannot stat: \(errorText(errno))") }
        if info.st_mode & S_IFMT == S_IFDIR { throw RuntimeError(path: path, "is a directory, not a file") }

        // One byte more than the reported size, so a complete read is seen to end at EOF.
        func tooLarge(_ size: Int?) -> RuntimeError {
            RuntimeError(path: path, (size.map { "is \($0) bytes" } ?? "holds more than \(limit) bytes")
                + "; a file read here may hold at most \(limit >> 20) MiB (\(limit) bytes): split the batch into several files")
        }
        if Int(info.st_size) > limit { throw tooLarge(Int(info.st_size)) }
        let capacity = min(max(Int(info.st_size) + 1, 4096), limit + 1)
        var failure: Int32 = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            count = 0
            while count < buffer.count {
                let got = read(fd, buffer.baseAddress! + count, buffer.count - count)
                if got > 0 { count += got; continue }
                if got == 0 { return }
                if errno == EINTR { continue }
                failure = errno
                return
            }
        }
        // The buffer filled up: the size was unknown (or the file grew); read the rest in chunks.
        if failure == 0 && bytes.count == capacity {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                if bytes.count > limit { throw tooLarge(nil) }
                let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if got > 0 { bytes.append(contentsOf: chunk[0..<got]); continue }
                if got == 0 { break }
                if errno == EINTR { continue }
                failure = errno
                break
            }
        }
        if failure != 0 { throw RuntimeError(path: path, "cannot read: \(errorText(failure))") }
        if bytes.count > limit { throw tooLarge(nil) }
        return bytes
    }
}

/// Writes every byte, retrying short writes and interruptions; returns 0 or the errno of the failure.
func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Int32 {
    var offset = 0
    while offset < buffer.count {
        let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if written > 0 { offset += written; continue }
        if written < 0 && errno == EINTR { continue }
        return written < 0 ? errno : EIO
    }
    return 0
}

/// ("dir", "name") for "dir/name"; (".", "name") for "name"; ("/", "name") for "/name".
func splitPath(_ path: String) -> (directory: String, fileName: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = path[..<slash]
    return (directory.isEmpty ? "/" : String(directory), String(path[path.index(after: slash)...]))
}

/// The last path component's extension in lower case, without the dot ("" when there is none).
func fileExtension(_ path: String) -> String {
    let name = splitPath(path).fileName
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
    return String(name[name.index(after: dot)...]).lowercased()
}

func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// Monotonic clock in nanoseconds, for timing and for unique names.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

extension FileIO {
    /// At most 64 bytes of `name`, cut at a scalar boundary: the temporary name stays under NAME_MAX
    /// (255 bytes) however long or multi-byte the user's file name is.
    public static func boundedStem(_ name: String) -> String {
        var stem = String.UnicodeScalarView()
        var bytes = 0
        for scalar in name.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > 64 { break }
            stem.append(scalar)
        }
        return String(stem)
    }
}
