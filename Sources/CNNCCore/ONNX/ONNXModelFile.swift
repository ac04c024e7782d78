import Foundation
import ONNXProto
import SwiftProtobuf

/// Reading and writing `.onnx` files; every problem is one line naming the file.
public enum ONNXModelFile {
    /// Protobuf messages cannot exceed 2 GiB; ONNX's own limit for a single-file model.
    public static let maximumBytes = Int(Int32.max)

    public static func read(_ path: String) throws(FileError) -> Onnx_ModelProto {
        try decode(try FileSystem.read(path, limit: maximumBytes), path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws(FileError) -> Onnx_ModelProto {
        if let other = CheckpointKind(bytes), other != .onnx {
            throw FileError("\(path): not an ONNX model: \(other.description)")
        }
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: bytes)
        } catch BinaryDecodingError.truncated {
            throw FileError("\(path): the ONNX model is truncated (the file ends inside a protobuf field)")
        } catch {
            throw FileError("\(path): not an ONNX model: the bytes are not a protobuf message")
        }
        guard model.hasGraph, model.irVersion > 0, !model.graph.node.isEmpty || !model.graph.output.isEmpty else {
            throw FileError("\(path): not an ONNX model: it has no graph (ir_version \(model.irVersion), \(model.graph.node.count) nodes)")
        }
        if let external = model.graph.initializer.first(where: { $0.dataLocation == .external }) {
            throw FileError("\(path): tensor '\(external.name)' is stored in an external data file beside the model; cnnc reads single-file models: save it with onnx.save_model(model, path, save_as_external_data=False)")
        }
        return model
    }

    public static func bytes(of model: Onnx_ModelProto) throws(FileError) -> [UInt8] {
        do {
            return try model.serializedBytes()
        } catch {
            throw FileError("cannot encode the ONNX model: \(error)")
        }
    }
}

/// Files users hand cnnc where a model or weights are expected, recognised by their first bytes.
public enum CheckpointKind: CustomStringConvertible, Sendable {
    /// A `torch.save` file in the zip format (PyTorch 1.6 and later).
    case pytorchZip
    /// A `torch.save` file in the legacy pickle format.
    case pytorchPickle
    case safetensors
    /// An ONNX model: protobuf field 1, `ir_version`, comes first.
    case onnx

    public init?(_ bytes: [UInt8]) {
        if bytes.count > 9, bytes[8] == UInt8(ascii: "{"), bytes[4..<8].allSatisfy({ $0 == 0 }) {
            self = .safetensors
        } else if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            self = .pytorchZip
        } else if bytes.count >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) {
            self = .pytorchPickle
        } else if bytes.count > 2, bytes[0] == 0x08, (1...12).contains(bytes[1]) {
            self = .onnx
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .pytorchZip, .pytorchPickle:
            "this is a PyTorch checkpoint (torch.save, \(self == .pytorchZip ? "zip" : "legacy pickle") format); save the weights with safetensors.torch.save_file(model.state_dict(), \"weights.safetensors\")"
        case .safetensors: "this is a safetensors weights file"
        case .onnx: "this is an ONNX model; turn it into a spec and weights with 'cnnc import'"
        }
    }
}
