import CNNCRuntime

/// A value of the network graph: the network input or a layer's result.
public enum ValueID: Hashable, Sendable {
    case input
    case layer(Int)
}

/// A spec resolved into a value graph: every layer knows the values it reads, their shapes and its
/// own output shape, and every option is turned into numbers. What the analyses, the interpreter and
/// the code generator consume. Layers are in written order, which is also the execution order: a
/// layer only ever reads the input or layers before it.
public struct CheckedNetwork: Sendable {
    public var spec: NetworkSpec
    public var input: FeatureShape
    public var layers: [CheckedLayer]
    /// The layer whose result the network returns (`output:`, else the last layer).
    public var outputLayer: Int
    /// For each layer, the layers that read its result, in order (a layer reading it twice is listed twice).
    public let consumers: [[Int]]
    /// Whether each layer's result reaches the output; the others are reported unused and never run.
    public let reachesOutput: [Bool]
    /// True when every layer reads the one before it and the last one is the output: the networks of
    /// cnnc 1, shown without a `from` column.
    public let isChain: Bool

    public init(spec: NetworkSpec, input: FeatureShape, layers: [CheckedLayer], outputLayer: Int) {
        self.spec = spec
        self.input = input
        self.layers = layers
        self.outputLayer = outputLayer
        var consumers = [[Int]](repeating: [], count: layers.count)
        for layer in layers {
            for case .layer(let producer) in layer.inputs { consumers[producer].append(layer.index) }
        }
        self.consumers = consumers
        var reaches = [Bool](repeating: false, count: layers.count)
        if layers.indices.contains(outputLayer) { reaches[outputLayer] = true }
        for index in layers.indices.reversed() where reaches[index] {
            for case .layer(let producer) in layers[index].inputs { reaches[producer] = true }
        }
        self.reachesOutput = reaches
        isChain = outputLayer == layers.count - 1 && layers.allSatisfy { layer in
            layer.inputs == [layer.index == 0 ? .input : .layer(layer.index - 1)]
        }
    }

    public var name: String { spec.name.value }
    public var output: FeatureShape { layers[outputLayer].output }

    public func shape(of value: ValueID) -> FeatureShape {
        switch value {
        case .input: input
        case .layer(let index): layers[index].output
        }
    }

    /// `input` or the layer's name, as `from:` writes it.
    public func name(of value: ValueID) -> String {
        switch value {
        case .input: NetworkSpec.inputName
        case .layer(let index): layers[index].name
        }
    }
}

public struct CheckedLayer: Sendable {
    /// Position in `CheckedNetwork.layers` (and in `NetworkSpec.layers`).
    public var index: Int
    public var spec: LayerSpec
    public var operation: Operation
    /// The values the layer reads, in the order written.
    public var inputs: [ValueID]
    public var inputShapes: [FeatureShape]
    public var output: FeatureShape
    /// What its tensors are called in a weights file: `<tensorPrefix>.weight`, …; the layer's name
    /// unless `tensor:`, `weights_names` or `weights_prefix` say otherwise.
    public var tensorPrefix: String

    public var name: String { spec.name }

    /// `<tensorPrefix>.<role>`, the state-dict name of one of its tensors.
    public func tensorName(_ role: ParameterRole) -> String { "\(tensorPrefix).\(role.rawValue)" }
    /// The shape of the first (for most kinds, the only) input.
    public var input: FeatureShape { inputShapes[0] }
}

extension CheckedNetwork {
    /// What the network offers to inputs and outputs: shapes, image preprocessing, labels.
    public var interface: NetworkInterface {
        let preprocess = spec.input.preprocess.map { Preprocess(scale: $0.scale, mean: $0.mean, std: $0.std) } ?? .identity
        return NetworkInterface(inputShape: input, outputShape: output, preprocess: preprocess, labels: spec.labels?.value)
    }
}
