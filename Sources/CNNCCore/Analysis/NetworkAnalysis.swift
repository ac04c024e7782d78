import CNNCRuntime

/// Per-layer costs and receptive fields of a checked network, and the totals. Each figure comes from
/// the layer's operation (`Operators/`); this type only walks the graph and adds up.
public struct NetworkAnalysis: Sendable {
    public var layers: [LayerAnalysis]
    /// Learnable parameters, as PyTorch's `parameters()` counts them: trainable and fixed.
    public var parameters: Int
    /// Of those, the values given inline in the spec (`weight:`, a `bias:` list): fixed filters.
    public var fixedParameters: Int
    public var trainableParameters: Int { parameters - fixedParameters }
    /// Stored values that are not learned (batchnorm running statistics).
    public var buffers: Int
    /// float32 bytes of everything stored: parameters and buffers.
    public var weightBytes: Int { (parameters + buffers) * 4 }
    /// Multiply-accumulates of one inference, over the layers that run (unused layers never do).
    public var macs: Int

    public init(_ network: CheckedNetwork) {
        var layers: [LayerAnalysis] = []
        for layer in network.layers {
            let inputFields = layer.inputs.map { value -> ReceptiveField in
                switch value {
                case .input: .identity
                case .layer(let index): layers[index].receptiveField
                }
            }
            let rules = layer.operation.rules
            var parameters = 0, buffers = 0, fixed = 0
            let inline = layer.spec.kind.inlineParameters
            for slot in rules.parameters(of: layer) {
                let count = slot.shape.reduce(1, *)
                switch slot.role {
                case .weight:
                    parameters += count
                    if inline.weight != nil { fixed += count }
                case .bias:
                    parameters += count
                    if inline.bias != nil { fixed += count }
                case .runningMean, .runningVar: buffers += count
                }
            }
            layers.append(LayerAnalysis(parameters: parameters, fixedParameters: fixed, buffers: buffers, macs: rules.macs(of: layer),
                                        receptiveField: rules.receptiveField(from: inputFields, of: layer)))
        }
        self.layers = layers
        // No overflow: at most 20,000 layers (NetworkSpec.maximumLayerEntries) of at most 2⁴⁵ MACs
        // and a few 2⁴⁰-element tensors each (ShapeLimits).
        parameters = layers.reduce(0) { $0 + $1.parameters }
        fixedParameters = layers.reduce(0) { $0 + $1.fixedParameters }
        buffers = layers.reduce(0) { $0 + $1.buffers }
        macs = zip(layers, network.reachesOutput).reduce(0) { $0 + ($1.1 ? $1.0.macs : 0) }
    }
}

public struct LayerAnalysis: Sendable {
    public var parameters: Int
    /// Of `parameters`, those given inline in the spec.
    public var fixedParameters: Int
    public var buffers: Int
    /// One multiply-accumulate per kernel tap per output element; 0 for layers without weights.
    public var macs: Int
    /// The receptive field of the layer's output units in the network input.
    public var receptiveField: ReceptiveField
}
