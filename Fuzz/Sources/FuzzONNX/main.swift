import Foundation
import LibFuzzer
import CNNCCore

/// .onnx bytes → `cnnc import` without the files: the protobuf model, the importer (constant
/// folding, expressions, operator patterns), and the front end on the spec it writes. The importer
/// must never write a spec that does not check, and never a tensor the spec does not need.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8] = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    _ = CheckpointKind(bytes)
    guard let model = try? ONNXModelFile.decode(bytes, path: "fuzz.onnx") else { return 0 }
    let options = ONNXImporter.Options(weightsReference: "fuzz.safetensors", sourcePath: "fuzz.onnx", sourceSHA256: String(repeating: "0", count: 64))
    let result = ONNXImport.run(ONNXModelProtoBox(model), options: options, specPath: "fuzz.yaml")
    if result.specText == nil, result.problems.contains(where: { $0.contains("which is a bug in cnnc's importer") }) {
        fatalError(result.problems.joined(separator: "\n"))
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
