import CNNCRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to read or write a file, as one line naming the file and the problem.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    static func system(_ path: String, _ action: String) -> FileError {
        FileError("\(path): cannot \(action): \(String(cString: strerror(errno)))")
    }
}

public enum FileSystem {
    /// Spec files beyond this size are refused rather than read into memory.
    public static let maximumSpecBytes = 64 << 20

    /// Reads a whole regular file; refuses directories and files over `limit` bytes.
    public static func read(_ path: String, limit: Int = maximumSpecBytes) throws(FileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(path, "read") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .system(path, "read") }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw FileError((status.st_mode & S_IFMT) == S_IFDIR ? "\(path): is a directory, not a file" : "\(path): is not a regular file")
        }
        guard Int(status.st_size) <= limit else {
            throw FileError("\(path): file is \(Int(status.st_size).grouped) bytes, more than the \(limit.grouped)-byte limit")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(path, "read")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            guard bytes.count <= limit else { throw FileError("\(path): file is larger than the \(limit.grouped)-byte limit") }
        }
        return bytes
    }

    /// `target` as the spec at `base` would refer to it: relative to `base`'s directory when both are
    /// relative or both absolute, else absolute.
    public static func relativePath(_ target: String, from base: String) -> String {
        guard target.hasPrefix("/") == base.hasPrefix("/") else { return target }
        let from = directoryName(base).split(separator: "/").filter { $0 != "." }
        let to = target.split(separator: "/").filter { $0 != "." }
        var common = 0
        while common < from.count, common < to.count - 1, from[common] == to[common], from[common] != ".." { common += 1 }
        guard !from[common...].contains("..") else { return target }
        return (Array(repeating: "..", count: from.count - common) + to[common...].map(String.init)).joined(separator: "/")
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Whether two paths name one file: the same regular file when both exist (links and `./a` vs
    /// `a` included; devices and pipes are never "the same"), else the same normalised path.
    public static func isSameFile(_ a: String, _ b: String) -> Bool {
        if exists(a), exists(b) { return FileIO.isSameRegularFile(a, b) }
        return URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path
    }

    /// `dir/file` for a path relative to `dir`; absolute paths stay as they are.
    public static func resolve(_ path: String, relativeTo base: String) -> String {
        if path.hasPrefix("/") { return path }
        let directory = directoryName(base)
        return directory == "." ? path : directory + "/" + path
    }

    public static func directoryName(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }
}
