@testable import CNNCCore
import ONNXProto
import Testing

/// Constant folding of hostile models: operations whose axes, permutations or shapes do not fit the
/// constant they fold. Each trapped (a negative `prefix`, an index out of range, an overflowing
/// product) before it was checked; now each is a reason to refuse the model.
@Suite struct ConstantFoldingTests {
    func reason(_ opType: String, _ inputs: [ONNXConstant?], ints: [String: [Int]] = [:], int: [String: Int] = [:]) -> String? {
        var node = Onnx_NodeProto()
        node.opType = opType
        node.output = ["y"]
        node.input = inputs.indices.map { "x\($0)" }
        for (name, values) in ints {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .ints
            attribute.ints = values.map(Int64.init)
            node.attribute.append(attribute)
        }
        for (name, value) in int {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .int
            attribute.i = Int64(value)
            node.attribute.append(attribute)
        }
        do {
            _ = try ConstantFolding.fold(node, ONNXAttributes(node), inputs: inputs, opset: 17)
            return nil
        } catch {
            return error.reason
        }
    }

    let matrix = ONNXConstant(dims: [2, 3], values: .floats([1, 2, 3, 4, 5, 6]))

    @Test func flattenFromAnAxisBeyondTheRank() {
        #expect(reason("Flatten", [matrix], int: ["axis": -5]) == "flattens from axis -5 of a constant of rank 2")
        #expect(reason("Flatten", [matrix], int: ["axis": -1]) == nil)
    }

    @Test func unsqueezeAtAnAxisBeyondTheRank() {
        #expect(reason("Unsqueeze", [matrix], ints: ["axes": [-9]]) == "unsqueezes axes [-9] of a constant of rank 2")
        #expect(reason("Unsqueeze", [matrix], ints: ["axes": [-1]]) == nil)
    }

    @Test func transposeByWhatIsNotAPermutation() {
        #expect(reason("Transpose", [matrix], ints: ["perm": [0, 0]]) == "transposes a constant of rank 2 by [0, 0]")
        #expect(reason("Transpose", [matrix], ints: ["perm": [1, 0]]) == nil)
    }

    @Test func reshapeToAShapeWhoseProductOverflows() {
        let target = ONNXConstant(dims: [2], values: .integers([1 << 40, 1 << 40]))
        #expect(reason("Reshape", [matrix, target]) == "reshapes 6 values to [1099511627776, 1099511627776]")
    }

    @Test func concatenateConstantsOfDifferentRanks() {
        let vector = ONNXConstant(dims: [2], values: .floats([1, 2]))
        #expect(reason("Concat", [matrix, vector], int: ["axis": 1]) == "concatenates constants of shapes [2, 3] and [2] along axis 1")
        #expect(reason("Concat", [matrix, matrix], int: ["axis": 1]) == nil)
    }

    @Test func sliceWithMoreAxesThanStarts() {
        let starts = ONNXConstant(dims: [1], values: .integers([0])), ends = ONNXConstant(dims: [1], values: .integers([1]))
        let axes = ONNXConstant(dims: [2], values: .integers([0, 1]))
        #expect(reason("Slice", [matrix, starts, ends, axes]) == "slices with 1 starts, 1 ends and 2 axes")
        #expect(reason("Slice", [matrix, starts, ends]) == nil)
    }
}
