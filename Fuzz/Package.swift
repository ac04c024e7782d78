// swift-tools-version: 6.1
import Foundation
import PackageDescription

// libFuzzer targets, one per entry point of cnnc that reads bytes from strangers (docs/fuzzing.md).
// Build them with Fuzz/run.sh: it compiles every module, cnnc's own included, with AddressSanitizer
// and libFuzzer's coverage (-sanitize=address -sanitize-coverage=…) and names libFuzzer's library
// in CNNC_LIBFUZZER. (-sanitize=fuzzer would link libFuzzer's main into cnnc's build-tool plugin too,
// so each target has its own main, which hands the arguments to LLVMFuzzerRunDriver.)
let libFuzzer: [LinkerSetting] = ProcessInfo.processInfo.environment["CNNC_LIBFUZZER"].map { [.unsafeFlags([$0, "-lstdc++"])] } ?? []

func fuzzTarget(_ name: String) -> Target {
    .executableTarget(name: name, dependencies: ["LibFuzzer", .product(name: "CNNCCore", package: "cnnc")], linkerSettings: libFuzzer)
}

let package = Package(
    name: "cnnc-fuzz",
    dependencies: [.package(name: "cnnc", path: "..")],
    targets: [
        // The declaration of LLVMFuzzerRunDriver.
        .target(name: "LibFuzzer"),
        // YAML bytes → checked network, diagnostics, inline weights, summary.
        fuzzTarget("FuzzSpec"),
        // safetensors bytes → header, tensors, their values.
        fuzzTarget("FuzzSafeTensors"),
        // .npy bytes → array (CNNCRuntime, reached through CNNCCore's dependency).
        fuzzTarget("FuzzNPY"),
        // PGM/PPM bytes → image.
        fuzzTarget("FuzzNetPBM"),
        // .onnx bytes → model → imported spec and tensors, checked by the front end.
        fuzzTarget("FuzzONNX"),
        // Structure-aware: bytes → a random valid-ish spec → check, analysis, summaries, generated Swift.
        fuzzTarget("FuzzPipeline"),
    ],
    swiftLanguageModes: [.v6]
)
