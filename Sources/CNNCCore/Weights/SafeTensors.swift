#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One tensor described by a safetensors header.
public struct SafeTensorsTensor: Equatable, Sendable {
    public let name: String
    public let dtype: SafeTensorsDType
    /// Row-major dimensions; `[]` is a scalar (one element), and a dimension may be 0 (no elements).
    public let shape: [Int]
    public let elementCount: Int
    /// The header's `data_offsets`: the byte range within the data section that follows the header.
    public let dataOffsets: Range<Int>
    /// The same bytes as offsets from the start of the file.
    public let fileRange: Range<Int>
}

/// A validated safetensors file (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length N, N bytes of JSON header, then the tensors' little-endian data.
///
/// Only the header is read when the file is opened; a tensor's bytes are read (with `pread`) when it
/// is asked for, so a large state dict costs only the tensors a spec uses, and no size is ever
/// trusted before it is checked against the file's. A read-only mmap would avoid one copy, but a
/// mapped file that another process truncates kills the reader with SIGBUS; a short `pread` is an
/// error instead.
///
/// Validation differs from the reference reader in two ways: a tensor name (or any key) given
/// twice is an error rather than "last one wins"; and bytes that no tensor covers, which the
/// reference rejects, are accepted and listed in `uncoveredDataRanges`, since they make no tensor
/// ambiguous. Overlapping tensors are an error in both.
/// Names are compared as Swift strings, so two names that differ only in Unicode normalization
/// count as the same name.
public struct SafeTensorsFile: Sendable {
    /// Headers above this size are refused, as the reference implementation does (100 MB).
    public static let maximumHeaderBytes = 100_000_000

    /// The path the file was read from, as given; every message starts with it.
    public let path: String
    /// N, the header's length in bytes (trailing padding included).
    public let headerByteCount: Int
    /// Size of the data section, everything after the header.
    public let dataSectionByteCount: Int
    /// Every tensor, in file order: by data offset (zero-sized tensors sharing an offset keep header order).
    public let tensors: [SafeTensorsTensor]
    /// The `__metadata__` object; empty when the header has none.
    public let metadata: [String: String]
    /// Byte ranges of the data section (relative to its start, like `data_offsets`) that no tensor
    /// covers: not an error, but a sign of a careless writer; see `warnings`.
    public let uncoveredDataRanges: [Range<Int>]

    private let contents: Contents
    private let indexByName: [String: Int]

    /// Where the tensors' bytes are: in memory (`parse(bytes:path:)`) or in the open file.
    private enum Contents: Sendable {
        case memory([UInt8])
        case file(OpenFile)
    }

    /// An open descriptor, closed when the last copy of the file value goes.
    private final class OpenFile: Sendable {
        let descriptor: Int32
        init(_ descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }
    }

    /// Offset of the data section from the start of the file.
    public var dataSectionOffset: Int { 8 + headerByteCount }

    /// Tensor names in file order.
    public var names: [String] { tensors.map(\.name) }

    /// One line per finding that is not an error, naming the file: currently, uncovered data bytes.
    public var warnings: [String] {
        uncoveredDataRanges.map { range in
            "\(path): warning: data bytes [\(range.lowerBound), \(range.upperBound)) (\((range.count).grouped) "
                + "byte\(range.count == 1 ? "" : "s")) belong to no tensor"
        }
    }

    public func tensor(named name: String) -> SafeTensorsTensor? {
        indexByName[name].map { tensors[$0] }
    }

    /// Opens the file at `path` and validates its header; tensors are read when asked for.
    public static func read(path: String) throws(WeightsFileError) -> SafeTensorsFile {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(path, .cannotRead, "open") }
        let file = OpenFile(descriptor)
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .system(path, .cannotRead, "read") }
        let fileType = status.st_mode & S_IFMT
        guard fileType == S_IFREG else {
            throw WeightsFileError(path: path, problem: .cannotRead, detail: fileType == S_IFDIR ? "is a directory, not a file" : "is not a regular file")
        }
        let size = Int(status.st_size)
        // Enough to recognise other formats and to read the header length; then the header itself.
        var prefix = try readRange(descriptor, 0..<min(size, 16), path: path)
        if prefix.count >= 8 {
            var declaredLength: UInt64 = 0
            for index in (0..<8).reversed() { declaredLength = declaredLength << 8 | UInt64(prefix[index]) }
            if declaredLength <= UInt64(size - 8), declaredLength <= UInt64(maximumHeaderBytes) {
                prefix = try readRange(descriptor, 0..<(8 + Int(declaredLength)), path: path)
            }
        }
        return try SafeTensorsFile(prefix: prefix, fileSize: size, contents: .file(file), path: path)
    }

    /// Validates the bytes of a safetensors file; `path` names it in messages.
    public static func parse(bytes: [UInt8], path: String) throws(WeightsFileError) -> SafeTensorsFile {
        try SafeTensorsFile(prefix: bytes, fileSize: bytes.count, contents: .memory(bytes), path: path)
    }

    /// Calls `body` with the bytes of `range` of the file.
    private func withBytes<Result>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) -> Result) throws(WeightsFileError) -> Result {
        switch contents {
        case .memory(let bytes):
            return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
        case .file(let file):
            return try Self.readRange(file.descriptor, range, path: path).withUnsafeBytes(body)
        }
    }

    /// Exactly the bytes of `range`, or an error if the file ends early (it may have shrunk since it
    /// was opened).
    private static func readRange(_ descriptor: Int32, _ range: Range<Int>, path: String) throws(WeightsFileError) -> [UInt8] {
        var readError: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initializedCount in
            var filled = 0
            while filled < range.count {
                let count = pread(descriptor, buffer.baseAddress! + filled, range.count - filled, off_t(range.lowerBound + filled))
                if count < 0 {
                    if errno == EINTR { continue }
                    readError = errno
                    break
                }
                if count == 0 { break }
                filled += count
            }
            initializedCount = filled
        }
        guard readError == 0 else { throw .system(path, .cannotRead, "read", errorNumber: readError) }
        guard bytes.count == range.count else {
            throw WeightsFileError(path: path, problem: .cannotRead, detail: "the file ended at byte \((range.lowerBound + bytes.count).grouped) while reading bytes \(range.lowerBound.grouped)–\(range.upperBound.grouped); was it changed while cnnc read it?")
        }
        return bytes
    }

    /// The tensor's elements as float32, in row-major order.
    ///
    /// Throws `noSuchTensor` for an unknown name and `unsupportedDType` for a tensor whose dtype
    /// is not F32, F16, BF16 or F64; whether such a tensor matters is the caller's decision.
    public func floats(_ name: String) throws(WeightsFileError) -> [Float] {
        let tensor = try requireTensor(name)
        guard tensor.dtype.isConvertibleToFloat else {
            throw WeightsFileError(
                path: path, problem: .unsupportedDType,
                detail: "tensor \(quotedName(name)) has dtype \(tensor.dtype.rawValue), which cannot be converted to "
                    + "float32 (supported: F32, F16, BF16, F64)")
        }
        let count = tensor.elementCount
        return try withBytes(tensor.fileRange) { file in
            [Float](unsafeUninitializedCapacity: count) { output, initializedCount in
                switch tensor.dtype {
                case .float32:
                    #if _endian(little)
                    if count > 0 {
                        UnsafeMutableRawPointer(output.baseAddress!).copyMemory(from: file.baseAddress!, byteCount: count * 4)
                    }
                    #else
                    for index in 0..<count {
                        let bits = file.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                        output[index] = Float(bitPattern: UInt32(littleEndian: bits))
                    }
                    #endif
                case .float16:
                    for index in 0..<count {
                        let bits = UInt16(littleEndian: file.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                        output[index] = HalfFloat.float(fromFloat16Bits: bits)
                    }
                case .bfloat16:
                    for index in 0..<count {
                        let bits = UInt16(littleEndian: file.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
                        output[index] = HalfFloat.float(fromBFloat16Bits: bits)
                    }
                case .float64:
                    for index in 0..<count {
                        let bits = UInt64(littleEndian: file.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
                        // IEEE round-to-nearest-even: the same float32 on every machine.
                        output[index] = Float(Double(bitPattern: bits))
                    }
                default:
                    preconditionFailure("dtype \(tensor.dtype.rawValue) was checked to be convertible")
                }
                initializedCount = count
            }
        }
    }

    /// The tensor's stored bytes, little-endian, whatever its dtype.
    public func rawBytes(_ name: String) throws(WeightsFileError) -> [UInt8] {
        try withBytes(try requireTensor(name).fileRange) { Array($0) }
    }

    private func requireTensor(_ name: String) throws(WeightsFileError) -> SafeTensorsTensor {
        guard let tensor = tensor(named: name) else {
            throw WeightsFileError(
                path: path, problem: .noSuchTensor,
                detail: "no tensor named \(quotedName(name)) (the file has \(tensors.count) tensor\(tensors.count == 1 ? "" : "s"))")
        }
        return tensor
    }
}

// MARK: - Validation

extension SafeTensorsFile {
    /// Validates the header in `bytes` (the file's first bytes: at least the header when the file has
    /// one) against the file's size.
    private init(prefix bytes: [UInt8], fileSize: Int, contents: Contents, path: String) throws(WeightsFileError) {
        func fail(_ problem: WeightsFileError.Problem, _ detail: String) -> WeightsFileError {
            WeightsFileError(path: path, problem: problem, detail: detail)
        }
        if let kind = CheckpointKind(bytes), kind != .safetensors {
            throw fail(.otherFormat, kind.description)
        }
        guard fileSize >= 8 else {
            throw fail(.fileTooShort, "file is \(fileSize) byte\(fileSize == 1 ? "" : "s"), too short for the 8-byte header length")
        }
        var declaredLength: UInt64 = 0
        for index in (0..<8).reversed() { declaredLength = declaredLength << 8 | UInt64(bytes[index]) }
        // Compared as UInt64 so that no length, however large, can overflow or trap.
        guard declaredLength <= UInt64(fileSize - 8) else {
            throw fail(.headerLengthPastEnd, "header length \(declaredLength) runs past the end of the \((fileSize).grouped)-byte file")
        }
        guard declaredLength <= UInt64(Self.maximumHeaderBytes) else {
            throw fail(.headerTooLarge, "header length \((declaredLength).grouped) bytes is over the limit of \((Self.maximumHeaderBytes).grouped)")
        }
        let headerLength = Int(declaredLength)
        let dataSize = fileSize - 8 - headerLength

        let header = try bytes.withUnsafeBufferPointer { file throws(WeightsFileError) -> HeaderJSON.Value in
            let headerBytes = UnsafeBufferPointer(rebasing: file[8..<(8 + headerLength)])
            if let invalid = HeaderJSON.firstInvalidUTF8Offset(headerBytes) {
                throw fail(.headerNotUTF8, "header is not valid UTF-8: byte 0x\(String(headerBytes[invalid], radix: 16, uppercase: true)) at file byte \(8 + invalid)")
            }
            do throws(HeaderJSON.SyntaxError) {
                return try HeaderJSON.parse(headerBytes)
            } catch {
                if let repeated = error.repeatedKey {
                    let places = "(file bytes \(8 + repeated.firstOffset) and \(8 + error.offset))"
                    if !repeated.isInOutermostObject {
                        throw fail(.headerNotJSON, "header is not valid JSON: \(error.message) \(places)")
                    }
                    if repeated.key == "__metadata__" {
                        throw fail(.invalidMetadata, "\"__metadata__\" appears twice in the header \(places)")
                    }
                    throw fail(.duplicateTensorName, "tensor \(quotedName(repeated.key)) appears twice in the header \(places)")
                }
                throw fail(.headerNotJSON, "header is not valid JSON: \(error.message) at file byte \(8 + error.offset)")
            }
        }
        guard case .object(let members) = header else {
            throw fail(.headerNotObject, "header must be a JSON object mapping tensor names to entries, but it is \(header.kindDescription)")
        }

        var metadata: [String: String] = [:]
        var unordered: [SafeTensorsTensor] = []
        for member in members {
            if member.key == "__metadata__" {
                metadata = try Self.decodeMetadata(member.value, fail: fail)
            } else {
                unordered.append(try Self.decodeTensor(member, dataSize: dataSize, headerLength: headerLength, fail: fail))
            }
        }

        // File order: by data offset, then end offset; ties (zero-sized tensors) keep header order.
        let ordered = unordered.enumerated().sorted { left, right in
            let (a, b) = (left.element.dataOffsets, right.element.dataOffsets)
            if a.lowerBound != b.lowerBound { return a.lowerBound < b.lowerBound }
            if a.upperBound != b.upperBound { return a.upperBound < b.upperBound }
            return left.offset < right.offset
        }.map(\.element)

        // Walk the sorted ranges once: a range that starts before the furthest end seen so far
        // overlaps the tensor that reached it; a range that starts after it leaves a gap.
        var uncovered: [Range<Int>] = []
        var coveredEnd = 0
        var tensorReachingCoveredEnd: SafeTensorsTensor?
        for tensor in ordered where !tensor.dataOffsets.isEmpty {
            if tensor.dataOffsets.lowerBound < coveredEnd, let previous = tensorReachingCoveredEnd {
                throw fail(.overlappingTensors, "tensors \(quotedName(previous.name)) (data bytes \(describe(previous.dataOffsets))) and "
                    + "\(quotedName(tensor.name)) (data bytes \(describe(tensor.dataOffsets))) overlap")
            }
            if tensor.dataOffsets.lowerBound > coveredEnd {
                uncovered.append(coveredEnd..<tensor.dataOffsets.lowerBound)
            }
            coveredEnd = tensor.dataOffsets.upperBound
            tensorReachingCoveredEnd = tensor
        }
        if coveredEnd < dataSize { uncovered.append(coveredEnd..<dataSize) }

        self.path = path
        self.headerByteCount = headerLength
        self.dataSectionByteCount = dataSize
        self.tensors = ordered
        self.metadata = metadata
        self.uncoveredDataRanges = uncovered
        self.contents = contents
        self.indexByName = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($0.element.name, $0.offset) })
    }

    private static func decodeMetadata(
        _ value: HeaderJSON.Value, fail: (WeightsFileError.Problem, String) -> WeightsFileError
    ) throws(WeightsFileError) -> [String: String] {
        guard case .object(let entries) = value else {
            throw fail(.invalidMetadata, "\"__metadata__\" must be an object of string values, but it is \(value.kindDescription)")
        }
        var metadata: [String: String] = [:]
        for entry in entries {
            guard case .string(let text) = entry.value else {
                throw fail(.invalidMetadata, "\"__metadata__\" value for key \(quotedName(entry.key)) must be a string, but it is \(entry.value.kindDescription)")
            }
            metadata[entry.key] = text
        }
        return metadata
    }

    private static func decodeTensor(
        _ member: HeaderJSON.Member, dataSize: Int, headerLength: Int,
        fail: (WeightsFileError.Problem, String) -> WeightsFileError
    ) throws(WeightsFileError) -> SafeTensorsTensor {
        let name = quotedName(member.key)
        guard case .object(let fields) = member.value else {
            throw fail(.invalidTensorEntry, "tensor \(name): entry must be an object with \"dtype\", \"shape\" and \"data_offsets\", but it is \(member.value.kindDescription)")
        }
        func field(_ key: String) throws(WeightsFileError) -> HeaderJSON.Value {
            guard let found = fields.first(where: { $0.key == key }) else {
                throw fail(.invalidTensorEntry, "tensor \(name): entry has no \"\(key)\"")
            }
            return found.value
        }

        let dtypeValue = try field("dtype")
        guard case .string(let dtypeText) = dtypeValue else {
            throw fail(.invalidTensorEntry, "tensor \(name): \"dtype\" must be a string, but it is \(dtypeValue.kindDescription)")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeText) else {
            throw fail(.unknownDType, "tensor \(name): unknown dtype \(quotedName(dtypeText)) (known: "
                + SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }

        let shapeValue = try field("shape")
        guard case .array(let dimensionValues) = shapeValue else {
            throw fail(.invalidTensorEntry, "tensor \(name): \"shape\" must be an array of integers, but it is \(shapeValue.kindDescription)")
        }
        var shape: [Int] = []
        for dimensionValue in dimensionValues {
            guard case .number(let number) = dimensionValue else {
                throw fail(.invalidTensorEntry, "tensor \(name): \"shape\" must be an array of integers, but it contains \(dimensionValue.kindDescription)")
            }
            guard number.isInteger else {
                throw fail(.invalidShape, "tensor \(name): shape dimension \(number.text) is not an integer")
            }
            guard !number.isNegative || number.magnitude == 0 else {
                throw fail(.invalidShape, "tensor \(name): shape dimension \(number.text) is negative")
            }
            guard let dimension = number.nonNegativeInt else {
                throw fail(.shapeOverflow, "tensor \(name): shape dimension \(number.text) is too large")
            }
            shape.append(dimension)
        }
        var elementCount = 1
        for dimension in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw fail(.shapeOverflow, "tensor \(name): shape \(describe(shape)) has more elements than a 64-bit integer can count")
            }
            elementCount = product
        }
        let (bitCount, bitsOverflow) = elementCount.multipliedReportingOverflow(by: dtype.bitWidth)
        guard !bitsOverflow else {
            throw fail(.shapeOverflow, "tensor \(name): shape \(describe(shape)) of \(dtype.rawValue) is too large: its size in bits overflows a 64-bit integer")
        }

        let offsetsValue = try field("data_offsets")
        guard case .array(let offsetValues) = offsetsValue, offsetValues.count == 2,
              case .number(let beginNumber) = offsetValues[0], case .number(let endNumber) = offsetValues[1] else {
            throw fail(.invalidDataOffsets, "tensor \(name): \"data_offsets\" must be two integers [begin, end], but it is \(describe(offsetsValue))")
        }
        for number in [beginNumber, endNumber] where !number.isInteger || (number.isNegative && number.magnitude != 0) {
            throw fail(.invalidDataOffsets, "tensor \(name): \"data_offsets\" \(describe(offsetsValue)) must be non-negative integers")
        }
        // An integer beyond UInt64 is certainly past the end of the data section.
        let begin = beginNumber.magnitude ?? .max, end = endNumber.magnitude ?? .max
        guard begin <= end else {
            throw fail(.invalidDataOffsets, "tensor \(name): \"data_offsets\" \(describe(offsetsValue)) begin after they end")
        }
        guard end <= UInt64(dataSize) else {
            throw fail(.dataOffsetsPastEnd, "tensor \(name): \"data_offsets\" \(describe(offsetsValue)) end past the "
                + "\((dataSize).grouped)-byte data section (the file ends at byte \((8 + headerLength + dataSize).grouped))")
        }
        let dataOffsets = Int(begin)..<Int(end)

        guard bitCount % 8 == 0 else {
            throw fail(.dataSizeMismatch, "tensor \(name): shape \(describe(shape)) of \(dtype.rawValue) is \((bitCount).grouped) bits, not a whole number of bytes")
        }
        guard dataOffsets.count == bitCount / 8 else {
            throw fail(.dataSizeMismatch, "tensor \(name): \"data_offsets\" \(describe(offsetsValue)) hold \((dataOffsets.count).grouped) bytes, "
                + "but shape \(describe(shape)) of \(dtype.rawValue) needs \((bitCount / 8).grouped)")
        }
        let fileStart = 8 + headerLength + dataOffsets.lowerBound
        return SafeTensorsTensor(
            name: member.key, dtype: dtype, shape: shape, elementCount: elementCount,
            dataOffsets: dataOffsets, fileRange: fileStart..<(fileStart + dataOffsets.count))
    }
}

private func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}

private func describe(_ range: Range<Int>) -> String {
    "[\(range.lowerBound), \(range.upperBound))"
}

/// A short rendering of a JSON value for messages: numbers as written, arrays of scalars in full.
private func describe(_ value: HeaderJSON.Value) -> String {
    switch value {
    case .array(let elements) where elements.count <= 4:
        "[" + elements.map { element in
            if case .number(let number) = element { number.text } else { element.kindDescription }
        }.joined(separator: ", ") + "]"
    case .array(let elements):
        "an array of \(elements.count) elements"
    default:
        value.kindDescription
    }
}
