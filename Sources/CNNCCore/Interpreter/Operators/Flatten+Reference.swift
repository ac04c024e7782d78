extension Flatten: ReferenceSemantics {
    /// C, H, W order is already the flat order.
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] { inputs[0].values }
}
