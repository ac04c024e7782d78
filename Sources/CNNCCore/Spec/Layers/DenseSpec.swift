/// `dense`: a fully connected layer as written.
public struct DenseSpec: Sendable {
    public var units: Located<Int>
    public var bias: BiasSpec
    /// `in_features:`, checked against the features that reach the layer.
    public var inFeatures: Located<Int>?
    public var weight: InlineWeights?

    static let example = "units: 10"

    static func decode(_ d: inout LayerDecoder) -> DenseSpec? {
        let units = d.requiredInteger("units")
        let inFeatures = d.optionalInteger("in_features")
        let bias = d.bias()
        let weight = d.inlineWeight(allowNormalize: false)
        guard let units, let bias else { return nil }
        return DenseSpec(units: units, bias: bias, inFeatures: inFeatures, weight: weight)
    }
}
