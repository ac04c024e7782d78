import CNNCRuntime

/// `batchnorm` at inference: `(x − running_mean[c]) / √(running_var[c] + eps) · weight[c] + bias[c]`.
public struct BatchNormalization: Hashable, Sendable {
    public var eps: Float

    static func check(_ spec: BatchNormSpec, _ context: inout ShapeContext) -> (BatchNormalization, FeatureShape)? {
        (BatchNormalization(eps: spec.eps), context.input)
    }
}

extension BatchNormalization: OperatorRules {
    public var keyword: String { "batchnorm" }

    /// Scale and shift are learned; the running mean and variance are stored buffers.
    public func parameters(of layer: CheckedLayer) -> [ParameterShape] {
        let channels = [layer.output.channels]
        return [ParameterShape(.weight, channels, .ones), ParameterShape(.bias, channels, .zeros),
                ParameterShape(.runningMean, channels, .zeros), ParameterShape(.runningVar, channels, .ones)]
    }

    public func macs(of layer: CheckedLayer) -> Int { 0 }
    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField { inputs[0] }
    public var summaryDescription: String { eps == 1e-5 ? keyword : "batchnorm eps=\(eps)" }
    public var jsonOptions: [(String, JSONValue)] { [("eps", .float(eps))] }
}
