import CNNCRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes float32 tensors as a safetensors file that the reference `safetensors` package loads.
///
/// The same input always gives the same bytes: header keys are sorted (`__metadata__` first, then
/// tensor names by their UTF-8 bytes), each entry's fields come in a fixed order, and the header is
/// padded with spaces to a multiple of 8 bytes so the data section (and every float32 in it) is
/// 8-byte aligned. Tensors are laid out contiguously in the order given, with no gaps, since the
/// reference reader rejects gaps. A file with no metadata has no `__metadata__` key.
public enum SafeTensorsWriter {
    public typealias Tensor = (name: String, shape: [Int], values: [Float])

    /// Writes the file atomically: into a temporary file in the same directory, flushed to disk
    /// with fsync, then renamed over `path`, so a reader sees either the old file or the complete
    /// new one, never a partial write. The temporary file is removed if anything fails.
    public static func write(path: String, tensors: [Tensor], metadata: [String: String] = [:]) throws(WeightsFileError) {
        let header = try encodeHeader(tensors: tensors, metadata: metadata, path: path)
        let lengthPrefix = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * $0)) }
        try writeAtomically(path: path) { descriptor throws(WeightsFileError) in
            try writeAll(descriptor, lengthPrefix + header, path: path)
            for tensor in tensors {
                #if _endian(little)
                try writeAll(descriptor, tensor.values, path: path)
                #else
                try writeAll(descriptor, tensor.values.map { $0.bitPattern.littleEndian }, path: path)
                #endif
            }
        }
    }

    /// The header JSON, padded with spaces to a multiple of 8 bytes, after checking the tensors:
    /// names unique and not `__metadata__`, dimensions non-negative, one value per element.
    static func encodeHeader(tensors: [Tensor], metadata: [String: String], path: String) throws(WeightsFileError) -> [UInt8] {
        func invalid(_ detail: String) -> WeightsFileError {
            WeightsFileError(path: path, problem: .invalidTensor, detail: detail)
        }
        var entries: [(name: String, json: String)] = []
        var seenNames: Set<String> = []
        var offset = 0
        for tensor in tensors {
            let name = quotedName(tensor.name)
            guard tensor.name != "__metadata__" else { throw invalid("cannot write a tensor named '__metadata__': the format reserves that key") }
            guard seenNames.insert(tensor.name).inserted else { throw invalid("cannot write tensor \(name) twice") }
            guard tensor.shape.allSatisfy({ $0 >= 0 }) else { throw invalid("cannot write tensor \(name): shape \(tensor.shape) has a negative dimension") }
            var elementCount = 1
            for dimension in tensor.shape {
                let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw invalid("cannot write tensor \(name): shape \(tensor.shape) has too many elements") }
                elementCount = product
            }
            guard elementCount == tensor.values.count else {
                throw invalid("cannot write tensor \(name): shape \(tensor.shape) has \((elementCount).grouped) elements, "
                    + "but \((tensor.values.count).grouped) values were given")
            }
            // values.count × 4 cannot overflow (the array exists), but the running total could in theory.
            let (end, overflow) = offset.addingReportingOverflow(tensor.values.count * 4)
            guard !overflow else { throw invalid("cannot write tensor \(name): the data section would be too large") }
            let shapeJSON = "[" + tensor.shape.map(String.init).joined(separator: ",") + "]"
            entries.append((tensor.name, "{\"dtype\":\"F32\",\"shape\":\(shapeJSON),\"data_offsets\":[\(offset),\(end)]}"))
            offset = end
        }

        var members: [String] = []
        if !metadata.isEmpty {
            let metadataMembers = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { JSONValue.escape($0.key) + ":" + JSONValue.escape($0.value) }
            members.append(JSONValue.escape("__metadata__") + ":{" + metadataMembers.joined(separator: ",") + "}")
        }
        for entry in entries.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            members.append(JSONValue.escape(entry.name) + ":" + entry.json)
        }
        var header = Array(("{" + members.joined(separator: ",") + "}").utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        guard header.count <= SafeTensorsFile.maximumHeaderBytes else {
            throw invalid("header would be \((header.count).grouped) bytes, over the \((SafeTensorsFile.maximumHeaderBytes).grouped)-byte limit that readers accept")
        }
        return header
    }
}

// MARK: - Atomic file replacement

/// Runs `writeContents` on a new temporary file next to `path`, then makes it `path`.
private func writeAtomically(
    path: String, _ writeContents: (Int32) throws(WeightsFileError) -> Void
) throws(WeightsFileError) {
    let directory: String
    let fileName: String
    if let slash = path.lastIndex(of: "/") {
        directory = slash == path.startIndex ? "/" : String(path[..<slash])
        fileName = String(path[path.index(after: slash)...])
    } else {
        directory = "."
        fileName = path
    }
    guard !fileName.isEmpty else {
        throw WeightsFileError(path: path, problem: .cannotWrite, detail: "cannot write: the path names a directory")
    }

    // O_EXCL with a random name: never reuse or follow an existing file. Mode 0666 lets the
    // process umask decide the permissions, as for any newly created file.
    var temporaryPath = ""
    var descriptor: Int32 = -1
    for _ in 0..<16 {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        temporaryPath = (directory == "/" ? "/" : directory + "/") + ".\(FileIO.boundedStem(fileName)).\(suffix).tmp"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        if descriptor >= 0 || errno != EEXIST { break }
    }
    guard descriptor >= 0 else { throw .system(path, .cannotWrite, "create a temporary file in '\(directory)'") }

    var succeeded = false
    defer {
        if descriptor >= 0 { close(descriptor) }
        if !succeeded { unlink(temporaryPath) }
    }
    try writeContents(descriptor)
    guard fsync(descriptor) == 0 else { throw .system(path, .cannotWrite, "flush the temporary file to disk") }
    let closeResult = close(descriptor)
    descriptor = -1
    guard closeResult == 0 else { throw .system(path, .cannotWrite, "close the temporary file") }
    guard rename(temporaryPath, path) == 0 else { throw .system(path, .cannotWrite, "rename the temporary file into place") }
    succeeded = true

    // Make the rename itself durable. The new file is already in place, so a failure here is not
    // reported: there is nothing the caller could do about it.
    let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
        _ = fsync(directoryDescriptor)
        close(directoryDescriptor)
    }
}

/// Writes all of an array's bytes, resuming after partial writes and interrupted calls.
private func writeAll<Element: BitwiseCopyable>(_ descriptor: Int32, _ array: [Element], path: String) throws(WeightsFileError) {
    let failedErrno: Int32? = array.withUnsafeBytes { bytes in
        var written = 0
        while written < bytes.count {
            let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += count
        }
        return nil
    }
    if let failedErrno { throw .system(path, .cannotWrite, "write", errorNumber: failedErrno) }
}
