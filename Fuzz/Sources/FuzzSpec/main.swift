import Foundation
import LibFuzzer
import CNNCCore

/// YAML bytes → the front end (libyaml events, YAML nodes, spec decoding, shape checking), its
/// rendered diagnostics, the inline weights' validation and the table summary of a checked network.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes: [UInt8] = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let pipeline = SpecPipeline.run(SourceFile(path: "fuzz.yaml", bytes: bytes))
    _ = pipeline.renderDiagnostics()
    if let network = pipeline.network {
        _ = WeightBinder.bind(network, file: nil)
        _ = SummaryRenderer(network: network).render(.table)
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
