import Foundation
import ONNXProto

/// Turns an ONNX model into an ordinary cnnc spec and its weights (PyTorch state-dict names and
/// layouts). Every operation the spec language can express is mapped (docs/import.md has the table);
/// constant subgraphs are folded, and the patterns exporters use for what ONNX lacks are recognised.
/// Anything else is a problem naming the node, its operation and why; all of them are reported in one
/// run, and nothing is written.
public struct ONNXImporter {
    public struct Result: Sendable {
        /// The spec text, when there were no problems.
        public var specText: String?
        /// The weights, named `<layer>.<role>`.
        public var tensors: [SafeTensorsWriter.Tensor]
        /// One line each: `node 'x' (Op): reason`.
        public var problems: [String]
        /// Layers written, ONNX nodes read.
        public var layerCount: Int
        public var nodeCount: Int
    }

    public struct Options: Sendable {
        /// The network's name (default: the graph's name, else the file's).
        public var name: String?
        /// How the spec refers to its weights file (`weights:`), relative to the spec; nil when the
        /// model has none.
        public var weightsReference: String?
        public var sourcePath: String
        public var sourceSHA256: String

        public init(name: String? = nil, weightsReference: String?, sourcePath: String, sourceSHA256: String) {
            self.name = name
            self.weightsReference = weightsReference
            self.sourcePath = sourcePath
            self.sourceSHA256 = sourceSHA256
        }
    }

    public static func importModel(_ model: Onnx_ModelProto, options: Options) -> Result {
        var importer = ONNXImporter(model: model)
        importer.run()
        guard importer.problems.isEmpty else {
            return Result(specText: nil, tensors: [], problems: importer.problems, layerCount: importer.layers.count,
                          nodeCount: model.graph.node.count)
        }
        return importer.result(options)
    }

    // MARK: State

    /// What an ONNX value is while importing.
    enum Value {
        /// A tensor cnnc computes: the result of a layer (or the network input).
        case tensor(Tensor)
        /// Element-wise arithmetic on one tensor, not yet written as a layer: exporters spell gelu,
        /// silu and friends as several nodes.
        case expression(Expression, base: Tensor, nodes: [Onnx_NodeProto])
        case constant(ONNXConstant)
        /// A tensor whose axes `Transpose` nodes reordered (`permutation[i]` is the source axis of
        /// axis i, batch included). Only a Softmax and the Transpose that restores the order may read
        /// it: the opset-11 exporters' way to take a softmax over the channels.
        case transposed(Tensor, permutation: [Int], nodes: [String])
    }

    /// A value cnnc computes, and padding waiting to be folded into the convolution or pooling that
    /// reads it.
    struct Tensor {
        /// `input` or a layer's name.
        var layer: String
        /// Dimensions without the batch: [C, H, W] or [F].
        var dims: [Int]
        var pendingPad: PendingPad?

        var isFlat: Bool { dims.count == 1 || (dims.count == 3 && dims[1] == 1 && dims[2] == 1) }
        var channels: Int { dims[0] }
        var height: Int { dims.count == 3 ? dims[1] : 1 }
        var width: Int { dims.count == 3 ? dims[2] : 1 }
    }

    /// A `Pad` (or the `Slice` + `Concat` pattern of circular padding) not yet folded.
    struct PendingPad {
        var padding: Padding
        var mode: PaddingMode
        var nodes: [String]
    }

    let model: Onnx_ModelProto
    let opset: Int
    var values: [String: Value] = [:]
    var layers: [ImportedLayer] = []
    var layerIndex: [String: Int] = [:]
    var problems: [String] = []
    /// How many nodes read each value (graph outputs count as readers).
    var readers: [String: Int] = [:]
    /// The network input's batch dimension: the symbol, or its fixed value.
    var batch = ONNXConstant.batch
    var inputDims: [Int] = []
    var outputLayer: String?
    /// Outputs of nodes that could not be imported.
    var failed: Set<String> = []
    /// Slices of tensors waiting for the `Concat` of the circular-padding pattern.
    var slices: [String: SliceOf] = [:]
    private var usedNames = UniqueNames(reserving: [NetworkSpec.inputName])
    private var reportedTransposes: Set<String> = []

    init(model: Onnx_ModelProto) {
        self.model = model
        opset = Int(model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 0)
    }

    // MARK: The walk

    mutating func run() {
        let graph = model.graph
        if opset < 7 || opset > 22 {
            problems.append("the model uses opset \(opset) of the ONNX domain; cnnc imports opsets 11 to 21 (and reads 7 to 22 where nothing changed)")
        }
        for initializer in graph.initializer {
            switch ONNXConstant.decode(initializer) {
            case .success(let constant): values[initializer.name] = .constant(constant)
            case .failure(let failure): problems.append(failure.reason)
            }
        }
        readInput(graph)
        guard problems.isEmpty else { return }
        guard graph.output.count == 1 else {
            problems.append("the graph has \(graph.output.count) outputs (\(graph.output.map { "'\($0.name)'" }.joined(separator: ", "))); a cnnc network has one")
            return
        }
        let needed = nodesReaching(graph.output[0].name, graph)
        for node in graph.node.enumerated() where needed.contains(node.offset) {
            for input in node.element.input where !input.isEmpty { readers[input, default: 0] += 1 }
        }
        readers[graph.output[0].name, default: 0] += 1
        for (index, node) in graph.node.enumerated() where needed.contains(index) {
            if node.domain != "" && node.domain != "ai.onnx" {
                problem(node, "operator of domain '\(node.domain)', which cnnc does not import")
                continue
            }
            // Reordered axes may only be read by the Softmax of the opset-11 pattern and the Transpose
            // that restores them; anything else means the model works in another layout.
            let transposed = node.input.compactMap { name -> (permutation: [Int], nodes: [String])? in
                if case .transposed(_, let permutation, let nodes)? = values[name] { (permutation, nodes) } else { nil }
            }
            if !transposed.isEmpty, node.opType != "Softmax", node.opType != "Transpose" {
                for (permutation, nodes) in transposed { reportTransposed(permutation, nodes) }
                if !Self.supportedOperations.contains(node.opType) { problem(node, Self.unsupportedReason(node.opType)) }
                failed.formUnion(node.output)
                continue
            }
            // A node reading the output of a node that failed says nothing (its problem would only
            // echo), unless cnnc does not have its operation at all: every such node is listed.
            if node.input.contains(where: failed.contains) {
                if !Self.supportedOperations.contains(node.opType) { problem(node, Self.unsupportedReason(node.opType)) }
                failed.formUnion(node.output)
                continue
            }
            do {
                try importNode(node)
            } catch {
                problem(node, error.reason)
                failed.formUnion(node.output)
            }
        }
        guard problems.isEmpty else { return }
        switch values[graph.output[0].name] {
        case .tensor(let tensor)?:
            finishOutput(tensor, graph.output[0].name)
        case .expression(let expression, let base, let nodes)?:
            if let tensor = materialize(expression, base: base, nodes: nodes, name: nodes.last?.name ?? graph.output[0].name) {
                finishOutput(tensor, graph.output[0].name)
            }
        case .constant?:
            problems.append("the graph output '\(graph.output[0].name)' is a constant: the network does not depend on its input")
        case .transposed(_, let permutation, let nodes)?:
            reportTransposed(permutation, nodes)
        case nil:
            problems.append("the graph output '\(graph.output[0].name)' is neither the input nor computed by a node")
        }
    }

    private mutating func finishOutput(_ tensor: Tensor, _ name: String) {
        if tensor.pendingPad != nil {
            problems.append("the graph output '\(name)' is padded (\(tensor.pendingPad!.nodes.joined(separator: ", "))) with nothing reading the padding")
        }
        if tensor.layer == NetworkSpec.inputName {
            // A network that only passes its input on: one dropout (an identity) makes it a layer.
            addLayer(ImportedLayer(name: uniqueName(name), keyword: "dropout", inputs: [NetworkSpec.inputName], dims: tensor.dims))
            outputLayer = layers.last!.name
        } else {
            outputLayer = tensor.layer
        }
    }

    /// The indices of the nodes the output depends on: others are left out.
    private func nodesReaching(_ output: String, _ graph: Onnx_GraphProto) -> Set<Int> {
        var producer: [String: Int] = [:]
        for (index, node) in graph.node.enumerated() {
            for name in node.output where !name.isEmpty { producer[name] = index }
        }
        var needed: Set<Int> = []
        var pending = [output]
        while let name = pending.popLast() {
            guard let index = producer[name], needed.insert(index).inserted else { continue }
            pending += graph.node[index].input.filter { !$0.isEmpty }
        }
        return needed
    }

    private mutating func readInput(_ graph: Onnx_GraphProto) {
        let inputs = graph.input.filter { values[$0.name] == nil }
        guard inputs.count == 1 else {
            problems.append("the graph has \(inputs.count) inputs that are not initializers (\(inputs.map { "'\($0.name)'" }.joined(separator: ", "))); a cnnc network has one")
            return
        }
        let input = inputs[0]
        let tensorType = input.type.tensorType
        guard tensorType.elemType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            problems.append("the graph input '\(input.name)' has element type \(tensorType.elemType); cnnc networks read float32")
            return
        }
        let dims = tensorType.shape.dim
        guard dims.count == 4 || dims.count == 2 else {
            problems.append("the graph input '\(input.name)' has rank \(dims.count); cnnc reads [N, C, H, W] images or [N, F] vectors")
            return
        }
        var sizes: [Int] = []
        for (axis, dim) in dims.enumerated().dropFirst() {
            guard case .dimValue(let size)? = dim.value, size > 0 else {
                let symbol = if case .dimParam(let name)? = dim.value { "'\(name)'" } else { "unknown" }
                problems.append("the graph input '\(input.name)' has a dynamic size along axis \(axis) (\(symbol)); cnnc compiles one fixed input shape: export with a fixed height and width")
                return
            }
            sizes.append(Int(size))
        }
        guard sizes.allSatisfy({ $0 <= ValueDecoder.maximumInteger }), ShapeLimits.product(of: sizes) != nil else {
            problems.append("the graph input '\(input.name)' has shape \(sizes); cnnc's limits are sides up to \(ValueDecoder.maximumInteger.grouped) and \(ShapeLimits.maximumElements.grouped) elements")
            return
        }
        if case .dimValue(let size)? = dims[0].value { batch = Int(size) }
        inputDims = sizes.count == 3 ? sizes : [sizes[0], 1, 1]
        values[input.name] = .tensor(Tensor(layer: NetworkSpec.inputName, dims: sizes))
    }

    // MARK: Helpers for the operations

    mutating func problem(_ node: Onnx_NodeProto, _ reason: String) {
        problems.append("node \(node.name.isEmpty ? "#\(model.graph.node.firstIndex(of: node) ?? 0)" : "'\(node.name)'") (\(node.opType)): \(reason)")
    }

    func value(_ name: String) throws(ImportFailure) -> Value {
        guard let value = values[name] else { throw ImportFailure("reads '\(name)', which no earlier node produces") }
        return value
    }

    func constant(_ name: String) throws(ImportFailure) -> ONNXConstant? {
        guard !name.isEmpty else { return nil }
        if case .constant(let constant) = try value(name) { return constant }
        return nil
    }

    /// The input as a tensor cnnc computes, writing pending element-wise arithmetic as layers first.
    mutating func tensor(_ name: String, of node: Onnx_NodeProto) throws(ImportFailure) -> Tensor {
        switch try value(name) {
        case .tensor(let tensor): return tensor
        case .expression(let expression, let base, let nodes):
            guard let tensor = materialize(expression, base: base, nodes: nodes, name: nodes.last!.name) else {
                throw ImportFailure("reads '\(name)', whose element-wise computation cnnc cannot express")
            }
            values[name] = .tensor(tensor)
            return tensor
        case .constant:
            throw ImportFailure("reads the constant '\(name)' where cnnc expects a tensor computed from the input")
        case .transposed(_, _, let nodes):
            throw ImportFailure("reads '\(name)', which \(Self.transposedReason(nodes))")
        }
    }

    static func transposedReason(_ nodes: [String]) -> String {
        "has its axes reordered by \(nodes.map { "'\($0)'" }.joined(separator: ", ")); cnnc's tensors are N×C×H×W"
    }

    /// The Transpose that left axes reordered, once.
    private mutating func reportTransposed(_ permutation: [Int], _ nodes: [String]) {
        guard let last = nodes.last, reportedTransposes.insert(last).inserted else { return }
        problems.append("node '\(last)' (Transpose): reorders the axes to \(permutation) (an NHWC model, or a layout change); cnnc's tensors are N×C×H×W and it folds a Transpose only around a Softmax over the channels: export the model in NCHW")
    }

    /// A tensor input that must carry no pending padding (only convolutions and pools fold it).
    mutating func unpaddedTensor(_ name: String, of node: Onnx_NodeProto) throws(ImportFailure) -> Tensor {
        let tensor = try tensor(name, of: node)
        if let pad = tensor.pendingPad {
            throw ImportFailure("reads the padded value of \(pad.nodes.map { "'\($0)'" }.joined(separator: ", ")); cnnc folds padding only into a following Conv or pool")
        }
        return tensor
    }

    /// A layer name from the node (or its weight initializer): PyTorch's module path when the
    /// exporter wrote one, made valid and unique.
    mutating func layerName(for node: Onnx_NodeProto, weight: String? = nil) -> String {
        var base = ""
        if let weight, weight.hasSuffix(".weight"), !weight.hasPrefix("onnx::") {
            base = String(weight.dropLast(".weight".count))
        } else if !node.name.isEmpty {
            base = Self.modulePath(node.name)
        } else {
            base = node.output.first ?? node.opType.lowercased()
        }
        return uniqueName(base)
    }

    /// `/layer1/layer1.0/relu/Relu` → `layer1.0.relu`; `/features/features.0/Conv` → `features.0`;
    /// other names as they are.
    static func modulePath(_ nodeName: String) -> String {
        guard nodeName.hasPrefix("/") else { return nodeName }
        var segments = nodeName.split(separator: "/").map(String.init)
        if segments.count > 1 { segments.removeLast() }  // the operation's own name (`Conv`, `Relu_1`)
        if let dotted = segments.lastIndex(where: { $0.contains(".") }) {
            return ([segments[dotted]] + segments[(dotted + 1)...]).joined(separator: ".")
        }
        return segments.joined(separator: ".")
    }

    /// A valid spec name: printable, at most 128 scalars, not `input`, not taken.
    mutating func uniqueName(_ base: String) -> String {
        var cleaned = String(String.UnicodeScalarView(base.unicodeScalars.filter {
            $0.properties.generalCategory != .control && $0.value != 0x2028 && $0.value != 0x2029
        }.prefix(120)))
        if cleaned.isEmpty || cleaned == NetworkSpec.inputName { cleaned = cleaned.isEmpty ? "layer" : "input_layer" }
        return usedNames.claim(cleaned)
    }

    mutating func addLayer(_ layer: ImportedLayer) {
        layerIndex[layer.name] = layers.count
        layers.append(layer)
    }

    /// The value `output` of a node is a new layer's result.
    mutating func define(_ output: String, as layer: ImportedLayer) throws(ImportFailure) {
        // Bounded here, every tensor's dims multiply without overflow further on (Resize by 2³¹ of
        // a 2³¹-high input trapped), and the spec written stays within the checker's limits.
        guard layer.dims.allSatisfy({ (1...ValueDecoder.maximumInteger).contains($0) }), ShapeLimits.product(of: layer.dims) != nil else {
            throw ImportFailure("would produce [N, \(layer.dims.map(String.init).joined(separator: ", "))], beyond cnnc's limits (sides up to \(ValueDecoder.maximumInteger.grouped), \(ShapeLimits.maximumElements.grouped) elements)")
        }
        addLayer(layer)
        values[output] = .tensor(Tensor(layer: layer.name, dims: layer.dims))
    }

    /// The layer that produced a tensor, when the tensor is that layer's result and the given value
    /// is its only reader (so that a following node may still change the layer).
    func soleProducer(of valueName: String, _ tensor: Tensor) -> Int? {
        guard readers[valueName] == 1, tensor.pendingPad == nil, let index = layerIndex[tensor.layer] else { return nil }
        return index
    }

    // MARK: Result

    private func result(_ options: Options) -> Result {
        let graph = model.graph
        // A graph name the spec language would refuse (control characters, too long) is not kept.
        let name = options.name ?? (NetworkSpec.isValidName(graph.name) ? graph.name : "imported")
        let producer = model.producerName.isEmpty ? "an unnamed producer" : [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        let header = [
            "Imported by cnnc \(CNNCVersion.string) from \(options.sourcePath)",
            "sha256 \(options.sourceSHA256)",
            "ONNX IR version \(model.irVersion), opset \(opset), produced by \(producer): \(graph.node.count) nodes, \(layers.count) layers.",
        ]
        let tensors = layers.flatMap { layer in
            layer.tensors.map { (name: "\(layer.name).\($0.role.rawValue)", shape: $0.shape, values: $0.values) }
        }
        let output = outputLayer == layers.last?.name ? nil : outputLayer
        let text = SpecWriter.text(header: header, name: name, input: inputDims, weights: tensors.isEmpty ? nil : options.weightsReference,
                                   output: output, layers: layers)
        return Result(specText: text, tensors: tensors, problems: [], layerCount: layers.count, nodeCount: graph.node.count)
    }
}
