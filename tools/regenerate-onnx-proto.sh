#!/usr/bin/env bash
# Regenerates Sources/ONNXProto/onnx.pb.swift from Sources/ONNXProto/onnx.proto. Building cnnc never
# needs this: the generated file is committed. Pinned, so the output is reproducible:
#   - onnx.proto of onnx 1.23.2 (the copy in the onnx wheel, onnx/onnx.proto; tools/requirements.txt);
#   - protoc from Debian 12's protobuf-compiler (libprotoc 3.21.12): apt-get install protobuf-compiler;
#   - protoc-gen-swift of swift-protobuf 1.39.0, the version Package.swift resolves:
#       git clone https://github.com/apple/swift-protobuf && cd swift-protobuf && git checkout 1.39.0
#       swift build -c release --product protoc-gen-swift
# Usage: tools/regenerate-onnx-proto.sh PATH/TO/protoc-gen-swift
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
plugin="${1:?usage: $0 PATH/TO/protoc-gen-swift}"
protoc --version
"$plugin" --version
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Public --swift_out="$root/Sources/ONNXProto" \
    --proto_path="$root/Sources/ONNXProto" onnx.proto
echo "wrote $root/Sources/ONNXProto/onnx.pb.swift"
