import Foundation
import Testing
@testable import CNNCCore

/// A fresh directory under /tmp (made with mkdtemp), removed with everything in it on `remove()`.
final class WeightsScratchDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/cnnc-weights-test-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ScratchError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let filePath = file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: filePath))
        return filePath
    }

    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with a scratch directory that is removed afterwards, whatever happens.
func withScratchDirectory<Result>(_ body: (WeightsScratchDirectory) throws -> Result) throws -> Result {
    let directory = try WeightsScratchDirectory()
    defer { directory.remove() }
    return try body(directory)
}

struct ScratchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// A safetensors file built by hand: the header text as given (no padding added), the data bytes,
/// and the header length as declared (the real length unless overridden).
func safetensorsBytes(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let headerBytes = Array(header.utf8)
    return littleEndianBytes(declaredLength ?? UInt64(headerBytes.count)) + headerBytes + data
}

func safetensorsBytes(rawHeader: [UInt8], data: [UInt8] = []) -> [UInt8] {
    littleEndianBytes(UInt64(rawHeader.count)) + rawHeader + data
}

func littleEndianBytes(_ value: UInt64) -> [UInt8] {
    (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}

func littleEndianBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
}

func littleEndianBytes(_ values: [UInt16]) -> [UInt8] {
    values.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
}

func littleEndianBytes(_ values: [Double]) -> [UInt8] {
    values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
}

/// Writes `bytes` to a file named `name` in a scratch directory, reads it back, and checks that
/// reading fails with `problem` and a one-line message that starts with the path and contains
/// every fragment. Returns the message.
@discardableResult
func expectReadFailure(
    _ bytes: [UInt8], name: String = "model.safetensors", _ problem: WeightsFileError.Problem, _ fragments: String...,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) throws -> String? {
    try withScratchDirectory { directory throws in
        let path = try directory.write(name, bytes)
        let error = #expect(throws: WeightsFileError.self, sourceLocation: sourceLocation) {
            try SafeTensorsFile.read(path: path)
        }
        guard let error else { return nil }
        #expect(error.problem == problem, "\(error.message)", sourceLocation: sourceLocation)
        #expect(error.path == path, sourceLocation: sourceLocation)
        #expect(error.message.hasPrefix(path + ": "), "\(error.message)", sourceLocation: sourceLocation)
        #expect(!error.message.contains("\n"), "\(error.message)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "\(error.message) lacks \(fragment)", sourceLocation: sourceLocation)
        }
        return error.message
    }
}

/// Parses a header string with the strict JSON reader.
func parseHeaderJSON(_ text: String) throws(HeaderJSON.SyntaxError) -> HeaderJSON.Value {
    try parseHeaderJSON(Array(text.utf8))
}

func parseHeaderJSON(_ bytes: [UInt8]) throws(HeaderJSON.SyntaxError) -> HeaderJSON.Value {
    try bytes.withUnsafeBufferPointer { buffer throws(HeaderJSON.SyntaxError) in try HeaderJSON.parse(buffer) }
}
