import Foundation
import LibFuzzer
import CNNCRuntime

/// .npy bytes → the array `cnnc run` and every generated inferencer read (`NPY.decode`); a decoded
/// array is encoded again, which must succeed.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8] = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let array = try? NPY.decode(bytes, name: "fuzz.npy") else { return 0 }
    do {
        _ = try NPY.encode(shape: array.shape, values: array.values)
    } catch {
        fatalError("a decoded array does not encode: \(error)")
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
