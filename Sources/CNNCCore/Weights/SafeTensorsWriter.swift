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

    /// Writes the file through the tool's output routine (`OutputFile`): a regular file is replaced
    /// atomically, so a reader sees either the old file or the complete new one, never a partial write.
    public static func write(path: String, tensors: [Tensor], metadata: [String: String] = [:]) throws(WeightsFileError) {
        let header = try encodeHeader(tensors: tensors, metadata: metadata, path: path)
        let lengthPrefix = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * $0)) }
        do {
            let output = try OutputFile(path: path)
            try output.write(lengthPrefix + header)
            for tensor in tensors {
                #if _endian(little)
                try output.write(tensor.values)
                #else
                try output.write(tensor.values.map { $0.bitPattern.littleEndian })
                #endif
            }
            try output.commit()
        } catch {
            let detail = error.message.hasPrefix(path + ": ") ? String(error.message.dropFirst(path.count + 2)) : error.message
            throw WeightsFileError(path: path, problem: .cannotWrite, detail: detail)
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
