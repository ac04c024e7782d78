// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "cnnc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cnnc", targets: ["cnnc"]),
        .library(name: "CNNCCore", targets: ["CNNCCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Reads and writes ONNX models (the generated onnx.pb.swift; tools/regenerate-onnx-proto.sh).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // The system libyaml (Debian libyaml-dev), the only YAML reader.
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // Input/output and runtime support shared by `cnnc run` and every generated inferencer.
        // It depends on nothing but the Swift standard library and the C library, because its
        // sources are copied verbatim into each generated package.
        .target(name: "CNNCRuntime"),
        // Compute kernels of generated inferencers (convolution, GEMM, pooling, …); copied verbatim
        // into each generated package, and tested here against the reference interpreter.
        .target(name: "CNNCKernels"),
        // ONNX's protobuf messages, generated from onnx.proto of onnx 1.23.2 by protoc-gen-swift
        // 1.39.0 and committed, so building never needs protoc.
        .target(
            name: "ONNXProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["onnx.proto"]
        ),
        .executableTarget(name: "EmbedSourcesTool", path: "Sources/EmbedSourcesTool"),
        .plugin(name: "EmbedSupportSources", capability: .buildTool(), dependencies: ["EmbedSourcesTool"]),
        // The compiler: source → YAML nodes → spec → checked network → analyses → code generation.
        .target(
            name: "CNNCCore",
            dependencies: ["CYAML", "CNNCRuntime", "CNNCKernels", "ONNXProto"],
            // The reference interpreter runs ImageNet-sized networks in the tests; unoptimised it is
            // more than ten times slower.
            swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))],
            plugins: ["EmbedSupportSources"]
        ),
        .executableTarget(
            name: "cnnc",
            dependencies: [
                "CNNCCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // docs/testing.md's tolerance table, shared by every test that compares numbers.
        .target(name: "TestTolerance", path: "Tests/TestTolerance"),
        .testTarget(name: "CNNCRuntimeTests", dependencies: ["CNNCRuntime", "TestTolerance"]),
        .testTarget(name: "CNNCKernelsTests", dependencies: ["CNNCKernels", "CNNCCore", "TestTolerance"]),
        .testTarget(name: "CNNCCoreTests", dependencies: ["CNNCCore", "TestTolerance"]),
        .testTarget(
            name: "CLITests",
            dependencies: ["cnnc", "CNNCRuntime", "TestTolerance"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
