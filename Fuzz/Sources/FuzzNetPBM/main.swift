import Foundation
import LibFuzzer
import CNNCRuntime

/// PGM/PPM bytes → the image `cnnc run` and every generated inferencer read (`NetPBM.decode`).
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8] = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? NetPBM.decode(bytes, name: "fuzz.pgm")
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
