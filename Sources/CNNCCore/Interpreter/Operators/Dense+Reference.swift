extension Dense: ReferenceSemantics {
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        let input = inputs[0].values
        let weight = parameters[.weight]!
        let bias = parameters[.bias]
        return (0..<outFeatures).map { output in
            var sum: Float = 0
            for feature in 0..<inFeatures {
                sum = sum.addingProduct(weight[output * inFeatures + feature], input[feature])
            }
            return sum + (bias?[output] ?? 0)
        }
    }
}
