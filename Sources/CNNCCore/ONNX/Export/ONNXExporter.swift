import Foundation
import CNNCRuntime
import ONNXProto

/// Writes a checked network and its weights as an ONNX model (opset 17), for Netron, ONNX Runtime or
/// any other runtime: one input `input` [N, C, H, W] with a dynamic batch, one output `output`, nodes
/// named after the spec's layers and initializers after the state-dict names (`conv1.weight`), so the
/// graph reads like the spec. Layers whose result never reaches the output are left out. Each
/// operation's ONNX form is in its own file, `ONNX/Export/X+ONNX.swift`.
public enum ONNXExporter {
    public static let opset: Int64 = 17
    /// The IR version that goes with opset 17 (ONNX 1.12); newer runtimes read it too.
    public static let irVersion: Int64 = 8

    public static func export(_ network: CheckedNetwork, weights: NetworkWeights) -> Onnx_ModelProto {
        var graph = ONNXGraphBuilder()
        graph.reserve(["input", "output"])
        var values: [ValueID: ONNXValue] = [.input: ONNXValue(name: "input", rank: 4)]
        for layer in network.layers where network.reachesOutput[layer.index] {
            let output = layer.index == network.outputLayer ? "output" : graph.unique(layer.name)
            var export = ONNXLayerExport(layer: layer, inputs: layer.inputs.map { values[$0]! }, output: output, weights: weights)
            layer.operation.onnx.exportONNX(&export, into: &graph)
            values[.layer(layer.index)] = ONNXValue(name: output, rank: export.rank)
        }
        let result = values[.layer(network.outputLayer)]!
        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        model.producerName = "cnnc"
        model.producerVersion = CNNCVersion.string
        model.docString = "Exported from the cnnc spec \(network.spec.path) (\(network.name))."
        model.opsetImport = [Onnx_OperatorSetIdProto.with { $0.domain = ""; $0.version = opset }]
        model.graph = Onnx_GraphProto.with { proto in
            proto.name = network.name
            proto.node = graph.nodes
            proto.initializer = graph.initializers
            proto.input = [valueInfo("input", network.input.dimensions)]
            let shape = network.output
            proto.output = [valueInfo("output", result.rank == 2 ? [shape.channels] : shape.dimensions)]
        }
        return model
    }

    /// A float tensor value `[N, dims…]` with a symbolic batch.
    private static func valueInfo(_ name: String, _ dims: [Int]) -> Onnx_ValueInfoProto {
        Onnx_ValueInfoProto.with { info in
            info.name = name
            info.type = Onnx_TypeProto.with { type in
                type.tensorType = Onnx_TypeProto.Tensor.with { tensor in
                    tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
                    tensor.shape = Onnx_TensorShapeProto.with { shape in
                        shape.dim = [Onnx_TensorShapeProto.Dimension.with { $0.dimParam = "N" }]
                            + dims.map { dim in Onnx_TensorShapeProto.Dimension.with { $0.dimValue = Int64(dim) } }
                    }
                }
            }
        }
    }
}

/// A graph value and its rank: 4 ([N, C, H, W]) or 2 ([N, F], after `flatten` and `dense`).
struct ONNXValue {
    var name: String
    var rank: Int
}

/// One layer being exported: what it reads, the value it must write, and the rank that value gets.
struct ONNXLayerExport {
    let layer: CheckedLayer
    let inputs: [ONNXValue]
    /// The graph value the layer's last node writes.
    let output: String
    let weights: NetworkWeights
    /// The rank of `output`, the first input's unless the operation changes it.
    var rank: Int

    init(layer: CheckedLayer, inputs: [ONNXValue], output: String, weights: NetworkWeights) {
        self.layer = layer
        self.inputs = inputs
        self.output = output
        self.weights = weights
        self.rank = inputs[0].rank
    }

    var name: String { layer.name }

    /// The layer's tensor of `role` as an initializer named as in the state dict.
    func parameter(_ role: ParameterRole, _ graph: inout ONNXGraphBuilder) -> String? {
        guard let slot = layer.parameterSlots.first(where: { $0.role == role }), let values = weights[slot] else { return nil }
        return graph.initializer(slot.name, values, shape: slot.shape)
    }

    /// The first input as a 4-D value: a flat [N, F] becomes [N, F, 1, 1].
    mutating func spatialInput(_ graph: inout ONNXGraphBuilder) -> String {
        rank = 4
        return graph.fourDimensional(inputs[0], name: name)
    }

    /// Every input at one rank. Mixed ranks only meet on flat tensors, and ONNX broadcasting would
    /// align [N, F] with [N, F, 1, 1] by their trailing axes, so the 2-D ones are lifted to 4-D.
    mutating func inputsAtOneRank(_ graph: inout ONNXGraphBuilder) -> [String] {
        rank = inputs.map(\.rank).max()!
        return inputs.map { rank == 4 ? graph.fourDimensional($0, name: name) : $0.name }
    }
}

/// How one operation is written as ONNX nodes, each in its own file.
protocol ONNXExporting {
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder)
}

extension Operation {
    var onnx: any ONNXExporting { implementation }
}

/// Nodes and initializers under construction, with unique value and node names.
struct ONNXGraphBuilder {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    private var valueNames = UniqueNames()
    private var nodeNames = UniqueNames()

    mutating func reserve(_ names: [String]) { valueNames.reserve(names) }

    /// `base`, or `base_1`, `base_2`, … when taken.
    mutating func unique(_ base: String) -> String { valueNames.claim(base) }

    mutating func initializer(_ base: String, _ values: [Float], shape: [Int]) -> String {
        let name = unique(base)
        initializers.append(Onnx_TensorProto.with { tensor in
            tensor.name = name
            tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            tensor.dims = shape.map(Int64.init)
            tensor.rawData = littleEndianData(values.map(\.bitPattern))
        })
        return name
    }

    mutating func integers(_ base: String, _ values: [Int]) -> String {
        let name = unique(base)
        initializers.append(Onnx_TensorProto.with { tensor in
            tensor.name = name
            tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            tensor.dims = [Int64(values.count)]
            tensor.rawData = littleEndianData(values.map { UInt64(bitPattern: Int64($0)) })
        })
        return name
    }

    /// A float scalar (rank 0).
    mutating func scalar(_ base: String, _ value: Float) -> String {
        initializer(base, [value], shape: [])
    }

    /// Appends a node and returns the value it writes: `output` when given, else a new value named
    /// after the node.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], name: String, output: String? = nil,
                       _ attributes: [Onnx_AttributeProto] = []) -> String {
        let written = output ?? unique(name)
        let nodeName = nodeNames.claim(name)
        nodes.append(Onnx_NodeProto.with { node in
            node.opType = op
            node.name = nodeName
            node.input = inputs
            node.output = [written]
            node.attribute = attributes
        })
        return written
    }

    /// [N, F] → [N, F, 1, 1]; a 4-D value as it is.
    mutating func fourDimensional(_ value: ONNXValue, name: String) -> String {
        guard value.rank == 2 else { return value.name }
        let axes = integers("\(name)/unsqueeze_axes", [2, 3])
        return node("Unsqueeze", [value.name, axes], name: "\(name)/to_4d")
    }

    private func littleEndianData<Word: FixedWidthInteger>(_ words: [Word]) -> Data {
        words.map(\.littleEndian).withUnsafeBytes { Data($0) }
    }
}

/// ONNX node attributes.
enum ONNXAttribute {
    static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .int; $0.i = Int64(value) }
    }

    static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .ints; $0.ints = values.map(Int64.init) }
    }

    static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .float; $0.f = value }
    }

    static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
        .with { $0.name = name; $0.type = .string; $0.s = Data(value.utf8) }
    }
}
