extension Add: ReferenceSemantics {
    /// `((a + b) + c) + …`, element by element.
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        var sum = inputs[0].values
        for input in inputs.dropFirst() {
            for index in sum.indices { sum[index] += input.values[index] }
        }
        return sum
    }
}
