import CNNCRuntime

/// The activations (docs/spec.md has their definitions): element-wise, except `softmax`, which runs
/// over the channels at each position. The shape is unchanged.
extension Activation: OperatorRules {
    static func check(_ activation: Activation, _ context: inout ShapeContext) -> (Activation, FeatureShape)? {
        (activation, context.input)
    }

    public func parameters(of layer: CheckedLayer) -> [ParameterShape] { [] }
    public func macs(of layer: CheckedLayer) -> Int { 0 }
    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField { inputs[0] }

    public var summaryDescription: String {
        switch self {
        case .leakyReLU(let alpha), .elu(let alpha): "\(keyword) α=\(alpha)"
        case .relu, .relu6, .sigmoid, .tanh, .gelu, .silu, .softmax: keyword
        }
    }

    public var jsonOptions: [(String, JSONValue)] {
        switch self {
        case .leakyReLU(let alpha), .elu(let alpha): [("alpha", .float(alpha))]
        case .relu, .relu6, .sigmoid, .tanh, .gelu, .silu, .softmax: []
        }
    }
}
