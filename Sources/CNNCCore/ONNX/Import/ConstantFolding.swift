import Foundation
import ONNXProto

/// Computing nodes whose inputs are all known: the shape arithmetic exporters emit around `Reshape`
/// (`Shape → Gather → Unsqueeze → Concat`), constants spelled as nodes, weights transposed or cast by
/// the exporter. The batch size is a symbol: arithmetic on it cannot be folded.
enum ConstantFolding {
    /// The folded result, or nil when the operation is not one that folds (the importer then handles it).
    static func fold(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, inputs: [ONNXConstant?], opset: Int) throws(ImportFailure) -> ONNXConstant? {
        let present = inputs.compactMap { $0 }
        guard !present.isEmpty || node.opType == "Constant" else { return nil }
        switch node.opType {
        case "Identity", "Dropout":
            return present[0]
        case "Cast":
            let floating = [1, 10, 11, 16].contains(attributes.int("to") ?? 1)
            if floating { return present[0].floats.map { ONNXConstant(dims: present[0].dims, values: .floats($0)) } }
            if case .integers = present[0].values { return present[0] }
            guard let values = present[0].floats else { try batchArithmetic(node) }
            return ONNXConstant(dims: present[0].dims, values: .integers(values.map { Int($0.rounded(.towardZero)) }))
        case "Shape":
            let dims = ONNXConstant.shapeSlice(present[0].dims, start: attributes.int("start"), end: attributes.int("end"))
            return ONNXConstant(dims: [dims.count], values: .integers(dims))
        case "CastLike":
            guard inputs.count == 2, let like = inputs[1] else { return nil }
            if case .integers = like.values {
                guard let values = present[0].integers else { try batchArithmetic(node) }
                return ONNXConstant(dims: present[0].dims, values: .integers(values))
            }
            return present[0].floats.map { ONNXConstant(dims: present[0].dims, values: .floats($0)) }
        case "Expand":
            guard inputs.count == 2, let shape = inputs[1]?.integers else { return nil }
            return try expand(present[0], to: shape)
        case "Reshape":
            guard let target = inputs[1]?.integers else { return nil }
            return present[0].reshaped(try resolve(target, for: present[0]))
        case "Flatten":
            let dims = present[0].dims
            let given = attributes.int("axis") ?? 1, axis = given < 0 ? given + dims.count : given
            guard axis >= 0, axis <= dims.count else { throw ImportFailure("flattens from axis \(given) of a constant of rank \(dims.count)") }
            return present[0].reshaped([dims.prefix(axis).reduce(1, *), dims.dropFirst(axis).reduce(1, *)])
        case "Unsqueeze", "Squeeze":
            let axes = attributes.ints("axes") ?? (inputs.count > 1 ? inputs[1]?.integers : nil) ?? []
            var dims = present[0].dims
            if node.opType == "Unsqueeze" {
                let rank = dims.count + axes.count
                guard axes.allSatisfy({ (-rank..<rank).contains($0) }) else { throw ImportFailure("unsqueezes axes \(axes) of a constant of rank \(dims.count)") }
                for axis in axes.map({ $0 < 0 ? $0 + rank : $0 }).sorted() { dims.insert(1, at: min(axis, dims.count)) }
            } else {
                let remove = Set(axes.map { $0 < 0 ? $0 + dims.count : $0 })
                dims = dims.enumerated().filter { axes.isEmpty ? $0.element != 1 : !remove.contains($0.offset) }.map(\.element)
            }
            return present[0].reshaped(dims)
        case "Concat":
            let axis = attributes.int("axis") ?? 0
            return try concatenate(present, axis: axis < 0 ? axis + present[0].dims.count : axis)
        case "Gather":
            guard let indices = inputs[1]?.integers else { return nil }
            return try gather(present[0], indices: indices, indexDims: inputs[1]!.dims, axis: attributes.int("axis") ?? 0)
        case "Slice":
            return try slice(node, attributes, inputs, opset: opset)
        case "Transpose":
            let rank = present[0].dims.count
            let permutation = attributes.ints("perm") ?? Array((0..<rank).reversed())
            guard permutation.sorted() == Array(0..<rank) else { throw ImportFailure("transposes a constant of rank \(rank) by \(permutation)") }
            return present[0].transposed(permutation)
        case "Add", "Sub", "Mul", "Div", "Pow":
            guard inputs.count == 2, let a = inputs[0], let b = inputs[1] else { return nil }
            return try elementwise(node, a, b)
        case "Neg", "Sqrt", "Erf", "Exp", "Sigmoid", "Tanh", "Relu":
            guard let values = present[0].floats else { try batchArithmetic(node) }
            let f: (Double) -> Double = switch node.opType {
            case "Neg": { -$0 }
            case "Sqrt": { $0.squareRoot() }
            case "Erf": { Foundation.erf($0) }
            case "Exp": { Foundation.exp($0) }
            case "Sigmoid": { 1 / (1 + Foundation.exp(-$0)) }
            case "Tanh": { Foundation.tanh($0) }
            default: { max(0, $0) }
            }
            return ONNXConstant(dims: present[0].dims, values: .floats(values.map(f)))
        case "ConstantOfShape":
            guard let dims = present[0].integers else { throw ImportFailure("has an impossible shape") }
            let count = try foldedCount(dims)
            let fill = attributes.tensor("value").flatMap { try? ONNXConstant.decode($0).get() } ?? ONNXConstant(dims: [1], values: .floats([0]))
            switch fill.values {
            case .floats(let values): return ONNXConstant(dims: dims, values: .floats([Double](repeating: values.first ?? 0, count: count)))
            case .integers(let values): return ONNXConstant(dims: dims, values: .integers([Int](repeating: values.first ?? 0, count: count)))
            }
        default:
            return nil
        }
    }

    /// A `Constant` node's value.
    static func constantNode(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes) throws(ImportFailure) -> ONNXConstant {
        if let tensor = attributes.tensor("value") {
            switch ONNXConstant.decode(tensor) {
            case .success(let constant): return constant
            case .failure(let failure): throw failure
            }
        }
        if let value = attributes.float("value_float") { return ONNXConstant(dims: [], values: .floats([Double(value)])) }
        if let values = attributes.floats("value_floats") { return ONNXConstant(dims: [values.count], values: .floats(values.map(Double.init))) }
        if let value = attributes.int("value_int") { return ONNXConstant(dims: [], values: .integers([value])) }
        if let values = attributes.ints("value_ints") { return ONNXConstant(dims: [values.count], values: .integers(values)) }
        throw ImportFailure("has a value of a kind cnnc does not read (attributes \(attributes.names))")
    }

    /// The most elements a folded constant may have (a hostile shape must not exhaust memory).
    static let maximumFoldedElements = 1 << 27

    private static func foldedCount(_ dims: [Int]) throws(ImportFailure) -> Int {
        guard let count = ShapeLimits.product(of: dims), count <= maximumFoldedElements else {
            throw ImportFailure("would make a constant of shape \(dims); cnnc folds constants of at most \(maximumFoldedElements.formatted()) elements")
        }
        return count
    }

    /// `Expand`: numpy broadcasting of the constant against `shape`.
    private static func expand(_ data: ONNXConstant, to shape: [Int]) throws(ImportFailure) -> ONNXConstant {
        guard !shape.contains(ONNXConstant.batch) else { throw ImportFailure("expands to a shape with the batch size, which cnnc keeps symbolic") }
        let rank = max(shape.count, data.dims.count)
        let source = [Int](repeating: 1, count: rank - data.dims.count) + data.dims
        let target = [Int](repeating: 1, count: rank - shape.count) + shape
        var dims: [Int] = []
        for (x, y) in zip(source, target) {
            guard x == y || x == 1 || y == 1, y >= 0 else { throw ImportFailure("expands a constant of shape \(data.dims) to \(shape)") }
            dims.append(x == 1 ? y : x)
        }
        _ = try foldedCount(dims)
        var offsets = [0]
        for (axis, size) in dims.enumerated() {
            let inner = source.dropFirst(axis + 1).reduce(1, *)
            offsets = offsets.flatMap { offset in (0..<size).map { offset + (source[axis] == 1 ? 0 : $0 * inner) } }
        }
        switch data.values {
        case .floats(let values): return ONNXConstant(dims: dims, values: .floats(offsets.map { values[$0] }))
        case .integers(let values): return ONNXConstant(dims: dims, values: .integers(offsets.map { values[$0] }))
        }
    }

    private static func batchArithmetic(_ node: Onnx_NodeProto) throws(ImportFailure) -> Never {
        throw ImportFailure("computes with the batch size, which cnnc keeps symbolic")
    }

    /// Reshape targets: 0 copies the input's dimension, −1 takes what is left.
    private static func resolve(_ target: [Int], for constant: ONNXConstant) throws(ImportFailure) -> [Int] {
        var dims = target.enumerated().map { axis, size in size == 0 ? constant.dims[safe: axis] ?? 0 : size }
        if let unknown = dims.firstIndex(of: -1) {
            let known = ShapeLimits.product(of: dims.enumerated().filter { $0.offset != unknown }.map(\.element))
            guard let known, known > 0 else { throw ImportFailure("reshapes to \(target)") }
            dims[unknown] = constant.count / known
        }
        guard ShapeLimits.product(of: dims) == constant.count else { throw ImportFailure("reshapes \(constant.count) values to \(target)") }
        return dims
    }

    private static func concatenate(_ parts: [ONNXConstant], axis: Int) throws(ImportFailure) -> ONNXConstant {
        guard let first = parts.first, axis >= 0, axis < max(1, first.dims.count) else { throw ImportFailure("concatenates along axis \(axis)") }
        if first.dims.isEmpty { throw ImportFailure("concatenates scalars") }
        for part in parts where part.dims.count != first.dims.count || zip(part.dims, first.dims).enumerated().contains(where: { $0.offset != axis && $0.element.0 != $0.element.1 }) {
            throw ImportFailure("concatenates constants of shapes \(first.dims) and \(part.dims) along axis \(axis)")
        }
        let outer = first.dims.prefix(axis).reduce(1, *)
        let inners = parts.map { $0.dims.dropFirst(axis + 1).reduce(1, *) * $0.dims[axis] }
        var dims = first.dims
        dims[axis] = parts.reduce(0) { $0 + $1.dims[axis] }
        let useFloats = parts.contains { if case .floats = $0.values { true } else { false } }
        if useFloats {
            guard let arrays = parts.map(\.floats) as? [[Double]] else { throw ImportFailure("concatenates the batch size with numbers") }
            return ONNXConstant(dims: dims, values: .floats(interleave(arrays, outer: outer, inners: inners)))
        }
        return ONNXConstant(dims: dims, values: .integers(interleave(parts.map { $0.integers! }, outer: outer, inners: inners)))
    }

    private static func interleave<T>(_ arrays: [[T]], outer: Int, inners: [Int]) -> [T] {
        var result: [T] = []
        for block in 0..<outer {
            for (array, inner) in zip(arrays, inners) { result += array[block * inner..<(block + 1) * inner] }
        }
        return result
    }

    private static func gather(_ data: ONNXConstant, indices: [Int], indexDims: [Int], axis: Int) throws(ImportFailure) -> ONNXConstant {
        let axis = axis < 0 ? axis + data.dims.count : axis
        guard axis >= 0, axis < data.dims.count else { throw ImportFailure("gathers along axis \(axis)") }
        let size = data.dims[axis]
        let outer = data.dims.prefix(axis).reduce(1, *), inner = data.dims.dropFirst(axis + 1).reduce(1, *)
        let wrapped = try indices.map { index throws(ImportFailure) -> Int in
            let i = index < 0 ? index + size : index
            guard i >= 0, i < size else { throw ImportFailure("gathers index \(index) of \(size)") }
            return i
        }
        func pick<T>(_ values: [T]) -> [T] {
            var result: [T] = []
            for block in 0..<outer {
                for index in wrapped { result += values[(block * size + index) * inner..<(block * size + index + 1) * inner] }
            }
            return result
        }
        let dims = Array(data.dims.prefix(axis)) + indexDims + Array(data.dims.dropFirst(axis + 1))
        switch data.values {
        case .floats(let values): return ONNXConstant(dims: dims, values: .floats(pick(values)))
        case .integers(let values): return ONNXConstant(dims: dims, values: .integers(pick(values)))
        }
    }

    private static func slice(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ inputs: [ONNXConstant?], opset: Int) throws(ImportFailure) -> ONNXConstant? {
        guard let data = inputs[0] else { return nil }
        let starts: [Int], ends: [Int]
        var axes: [Int]?, steps: [Int]?
        if opset < 10 {
            guard let s = attributes.ints("starts"), let e = attributes.ints("ends") else { return nil }
            (starts, ends, axes) = (s, e, attributes.ints("axes"))
        } else {
            guard inputs.count >= 3, let s = inputs[1]?.integers, let e = inputs[2]?.integers else { return nil }
            (starts, ends) = (s, e)
            axes = inputs.count > 3 ? inputs[3]?.integers : nil
            steps = inputs.count > 4 ? inputs[4]?.integers : nil
        }
        guard ends.count == starts.count, (axes?.count ?? starts.count) == starts.count else {
            throw ImportFailure("slices with \(starts.count) starts, \(ends.count) ends and \(axes?.count ?? starts.count) axes")
        }
        var ranges = data.dims.map { (start: 0, end: $0, step: 1) }
        for (position, axisValue) in (axes ?? Array(0..<starts.count)).enumerated() {
            let axis = axisValue < 0 ? axisValue + data.dims.count : axisValue
            guard axis >= 0, axis < data.dims.count else { throw ImportFailure("slices axis \(axisValue)") }
            let size = data.dims[axis]
            let step = steps?[safe: position] ?? 1
            guard step != 0 else { throw ImportFailure("slices with step 0") }
            func clamp(_ value: Int, _ low: Int, _ high: Int) -> Int { min(max(value < 0 ? value + size : value, low), high) }
            ranges[axis] = step > 0 ? (clamp(starts[position], 0, size), clamp(ends[position], 0, size), step)
                                    : (clamp(starts[position], -1, size - 1), clamp(ends[position], -1, size - 1), step)
        }
        // Every kept index per axis, then the rows of the result in C order.
        let kept = ranges.map { range in Array(stride(from: range.start, to: range.end, by: range.step)) }
        var offsets = [0]
        for (axis, indices) in kept.enumerated() {
            let inner = data.dims.dropFirst(axis + 1).reduce(1, *)
            offsets = offsets.flatMap { offset in indices.map { offset + $0 * inner } }
        }
        let dims = kept.map(\.count)
        switch data.values {
        case .floats(let values): return ONNXConstant(dims: dims, values: .floats(offsets.map { values[$0] }))
        case .integers(let values): return ONNXConstant(dims: dims, values: .integers(offsets.map { values[$0] }))
        }
    }

    private static func elementwise(_ node: Onnx_NodeProto, _ a: ONNXConstant, _ b: ONNXConstant) throws(ImportFailure) -> ONNXConstant {
        let rank = max(a.dims.count, b.dims.count)
        let aDims = [Int](repeating: 1, count: rank - a.dims.count) + a.dims
        let bDims = [Int](repeating: 1, count: rank - b.dims.count) + b.dims
        var dims: [Int] = []
        for (x, y) in zip(aDims, bDims) {
            guard x == y || x == 1 || y == 1 else { throw ImportFailure("combines constants of shapes \(a.dims) and \(b.dims)") }
            dims.append(max(x, y))
        }
        _ = try foldedCount(dims)
        // The source offset of every result element, broadcasting axes of size 1.
        func offsets(_ sourceDims: [Int]) -> [Int] {
            var result = [0]
            for (axis, size) in dims.enumerated() {
                let inner = sourceDims.dropFirst(axis + 1).reduce(1, *)
                result = result.flatMap { offset in (0..<size).map { offset + (sourceDims[axis] == 1 ? 0 : $0 * inner) } }
            }
            return result
        }
        let (aOffsets, bOffsets) = (offsets(aDims), offsets(bDims))
        if case .integers(let x) = a.values, case .integers(let y) = b.values, node.opType != "Pow" {
            guard !x.contains(ONNXConstant.batch), !y.contains(ONNXConstant.batch) else { try batchArithmetic(node) }
            let result = try zip(aOffsets, bOffsets).map { i, j throws(ImportFailure) -> Int in
                switch node.opType {
                case "Add": return x[i] + y[j]
                case "Sub": return x[i] - y[j]
                case "Mul": return x[i] * y[j]
                default:
                    guard y[j] != 0 else { throw ImportFailure("divides by zero") }
                    return x[i] / y[j]
                }
            }
            return ONNXConstant(dims: dims, values: .integers(result))
        }
        guard let x = a.floats, let y = b.floats else { try batchArithmetic(node) }
        let result = zip(aOffsets, bOffsets).map { i, j -> Double in
            switch node.opType {
            case "Add": x[i] + y[j]
            case "Sub": x[i] - y[j]
            case "Mul": x[i] * y[j]
            case "Div": x[i] / y[j]
            default: Foundation.pow(x[i], y[j])
            }
        }
        return ONNXConstant(dims: dims, values: .floats(result))
    }
}

extension ONNXConstant {
    func reshaped(_ dims: [Int]) -> ONNXConstant {
        ONNXConstant(dims: dims, values: values)
    }

    func transposed(_ permutation: [Int]) -> ONNXConstant {
        let newDims = permutation.map { dims[$0] }
        var offsets = [0]
        for axis in permutation {
            let inner = dims.dropFirst(axis + 1).reduce(1, *)
            offsets = offsets.flatMap { offset in (0..<dims[axis]).map { offset + $0 * inner } }
        }
        switch values {
        case .floats(let values): return ONNXConstant(dims: newDims, values: .floats(offsets.map { values[$0] }))
        case .integers(let values): return ONNXConstant(dims: newDims, values: .integers(offsets.map { values[$0] }))
        }
    }
}
