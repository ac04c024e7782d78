extension Concatenation: ReferenceSemantics {
    /// The inputs' channels one after another: in C, H, W order that is their values one after another.
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        inputs.flatMap(\.values)
    }
}
