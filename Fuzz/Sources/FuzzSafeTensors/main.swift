import Foundation
import LibFuzzer
import CNNCCore

/// safetensors bytes → the header (JSON, dtypes, shapes, offsets, coverage), the warnings, and
/// every tensor's values as float32 and as raw bytes.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8] = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafeTensorsFile.parse(bytes: bytes, path: "fuzz.safetensors") else {
        return 0
    }
    _ = file.warnings
    for tensor in file.tensors {
        _ = try? file.floats(tensor.name)
        _ = try? file.rawBytes(tensor.name)
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
