import CNNCCore
import Foundation
import Testing

/// Models on which the ONNX fuzz target (Fuzz/, docs/fuzzing.md) found the importer trapping; they
/// are in its seed corpus too. Each is now refused with a reason, and nothing is written.
@Suite struct ImporterFuzzRegressionTests {
    func problems(_ name: String) throws -> [String] {
        let path = "Fuzz/Corpus/FuzzONNX/" + name
        let bytes = try [UInt8](Data(contentsOf: repositoryRoot.appendingPathComponent(path)))
        let model = try ONNXModelFile.decode(bytes, path: path)
        let options = ONNXImporter.Options(weightsReference: nil, sourcePath: path, sourceSHA256: String(repeating: "0", count: 64))
        let result = ONNXImport.run(ONNXModelProtoBox(model), options: options, specPath: "imported.yaml")
        #expect(result.specText == nil)
        return result.problems
    }

    /// A Slice whose start lies after its end made the range `start..<end` trap.
    @Test func aSliceToNothingIsRefused() throws {
        let problems = try problems("regression-empty-slice.onnx")
        #expect(problems.contains { $0.contains("(Slice): slices axis") && $0.contains("to nothing") }, "\(problems)")
    }

    /// A Pad node without inputs was read at `node.input[0]`; every operation's required inputs are now counted first.
    @Test func anOperationWithoutItsInputsIsRefused() throws {
        let problems = try problems("regression-pad-without-input.onnx")
        #expect(problems.contains { $0.contains("(Pad): has 0 inputs; Pad needs 1") }, "\(problems)")
    }
}
