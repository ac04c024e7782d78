extension Multiply: ReferenceSemantics {
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        guard let gateInput else { return zip(inputs[0].values, inputs[1].values).map { $0 * $1 } }
        let gate = inputs[gateInput].values
        let tensor = inputs[1 - gateInput]
        let plane = tensor.shape.height * tensor.shape.width
        // The product in the order written: x·g when x comes first, g·x otherwise (the same float).
        return tensor.values.indices.map { index in
            gateInput == 1 ? tensor.values[index] * gate[index / plane] : gate[index / plane] * tensor.values[index]
        }
    }
}
