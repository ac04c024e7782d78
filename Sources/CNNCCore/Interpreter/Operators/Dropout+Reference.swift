extension Dropout: ReferenceSemantics {
    /// The identity at inference.
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] { inputs[0].values }
}
