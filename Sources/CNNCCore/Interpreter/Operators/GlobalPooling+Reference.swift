extension GlobalPooling: ReferenceSemantics {
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        let tensor = inputs[0]
        return (0..<tensor.shape.channels).map { channel in
            let plane = tensor.plane(channel)
            switch reduction {
            case .average: return plane.reduce(0, +) / Float(plane.count)
            case .max: return plane.max()!
            }
        }
    }
}
