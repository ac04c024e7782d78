import Foundation
import ONNXProto

/// A tensor whose values are known when importing: an initializer, a `Constant` node, or the result of
/// folding operations on those (the shape arithmetic exporters emit around `Reshape`). Integers and
/// floats are kept apart, as ONNX types them; the batch dimension of a `Shape` is a symbol.
struct ONNXConstant {
    enum Values {
        case floats([Double])
        case integers([Int])
    }

    var dims: [Int]
    var values: Values
    /// The initializer's name, when it came straight from one (layer names are derived from it).
    var source: String?

    /// The symbolic batch size in integer constants (a `Shape` of a value whose batch is dynamic).
    static let batch = Int.min + 1

    var count: Int { dims.reduce(1, *) }

    var floats: [Double]? {
        switch values {
        case .floats(let values): values
        case .integers(let values): values.contains(Self.batch) ? nil : values.map(Double.init)
        }
    }

    var integers: [Int]? {
        switch values {
        case .integers(let values): values
        case .floats(let values): values.allSatisfy { $0 == $0.rounded() && abs($0) < 1e15 } ? values.map { Int($0) } : nil
        }
    }

    /// `Shape`'s `start` and `end` (opset 15): a clamped range of the dimensions.
    static func shapeSlice(_ dims: [Int], start: Int?, end: Int?) -> [Int] {
        guard start != nil || end != nil else { return dims }
        let clamp = { (i: Int) in min(max(i < 0 ? i + dims.count : i, 0), dims.count) }
        let (from, to) = (clamp(start ?? 0), clamp(end ?? dims.count))
        return from < to ? Array(dims[from..<to]) : []
    }

    /// A single number (any shape with one element).
    var scalar: Double? { count == 1 ? floats?.first : nil }

    var float32: [Float]? { floats?.map(Float.init) }

    init(dims: [Int], values: Values, source: String? = nil) {
        self.dims = dims
        self.values = values
        self.source = source
    }

    /// Decodes an ONNX tensor of a numeric type; nil with a reason for anything else.
    static func decode(_ tensor: Onnx_TensorProto) -> Result<ONNXConstant, ImportFailure> {
        let dims = tensor.dims.map { Int($0) }
        guard let count = ShapeLimits.product(of: dims) else {
            return .failure(ImportFailure("tensor '\(tensor.name)' has impossible dimensions \(dims)"))
        }
        let raw = [UInt8](tensor.rawData)
        func words<Word: FixedWidthInteger>(_ type: Word.Type) -> [Word]? {
            let size = MemoryLayout<Word>.size
            guard raw.count == count * size else { return nil }
            return (0..<count).map { index in
                var word: Word = 0
                for byte in 0..<size { word |= Word(raw[index * size + byte]) << (8 * byte) }
                return word
            }
        }
        let type = Onnx_TensorProto.DataType(rawValue: Int(tensor.dataType)) ?? .undefined
        let values: Values?
        switch type {
        case .float:
            let floats: [Double]? = raw.isEmpty ? tensor.floatData.map(Double.init) : words(UInt32.self)?.map { Double(Float(bitPattern: $0)) }
            values = floats.flatMap { $0.count == count ? .floats($0) : nil }
        case .double:
            values = (raw.isEmpty ? tensor.doubleData : words(UInt64.self)?.map { Double(bitPattern: $0) })
                .flatMap { $0.count == count ? .floats($0) : nil }
        case .float16:
            values = (raw.isEmpty ? tensor.int32Data.map { UInt16(truncatingIfNeeded: $0) } : words(UInt16.self))
                .flatMap { $0.count == count ? .floats($0.map { Double(HalfFloat.float(fromFloat16Bits: $0)) }) : nil }
        case .bfloat16:
            values = (raw.isEmpty ? tensor.int32Data.map { UInt16(truncatingIfNeeded: $0) } : words(UInt16.self))
                .flatMap { $0.count == count ? .floats($0.map { Double(HalfFloat.float(fromBFloat16Bits: $0)) }) : nil }
        case .int64:
            values = (raw.isEmpty ? tensor.int64Data.map { Int($0) } : words(UInt64.self)?.map { Int(Int64(bitPattern: $0)) })
                .flatMap { $0.count == count ? .integers($0) : nil }
        case .int32, .int16, .int8, .uint8, .uint16, .bool:
            let size = [Onnx_TensorProto.DataType.int32: 4, .int16: 2, .uint16: 2][type] ?? 1
            let signed = type != .uint8 && type != .uint16 && type != .bool
            if raw.isEmpty {
                values = tensor.int32Data.count == count ? .integers(tensor.int32Data.map { Int($0) }) : nil
            } else if raw.count == count * size {
                values = .integers((0..<count).map { index in
                    var word = 0
                    for byte in 0..<size { word |= Int(raw[index * size + byte]) << (8 * byte) }
                    if signed && word >= 1 << (8 * size - 1) { word -= 1 << (8 * size) }
                    return word
                })
            } else {
                values = nil
            }
        default:
            return .failure(ImportFailure("tensor '\(tensor.name)' has data type \(type) (\(tensor.dataType)), which cnnc does not read"))
        }
        guard let values else {
            return .failure(ImportFailure("tensor '\(tensor.name)' holds the wrong number of values for its dimensions \(dims)"))
        }
        return .success(ONNXConstant(dims: dims, values: values, source: tensor.name))
    }
}

/// Why a node (or tensor) cannot be imported: one sentence.
struct ImportFailure: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

/// The attributes of a node, by name.
struct ONNXAttributes {
    private let byName: [String: Onnx_AttributeProto]

    init(_ node: Onnx_NodeProto) {
        byName = Dictionary(node.attribute.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var names: [String] { byName.keys.sorted() }

    // Clamped to the spec's integer range, so that sums and products of a few attribute values
    // never overflow; a clamped value is still out of range wherever a spec would use it, and
    // INT64_MAX as "to the end" (Slice's old attributes) keeps that meaning.
    func int(_ name: String) -> Int? { byName[name].map { Self.clamped($0.i) } }
    func ints(_ name: String) -> [Int]? { byName[name].map { $0.ints.map(Self.clamped) } }
    private static func clamped(_ value: Int64) -> Int { Int(max(-Int64(Int32.max), min(Int64(Int32.max), value))) }
    func float(_ name: String) -> Float? { byName[name].map(\.f) }
    func floats(_ name: String) -> [Float]? { byName[name].map(\.floats) }
    func string(_ name: String) -> String? { byName[name].map { String(decoding: $0.s, as: UTF8.self) } }
    func tensor(_ name: String) -> Onnx_TensorProto? { byName[name].flatMap { $0.hasT ? $0.t : nil } }
}
