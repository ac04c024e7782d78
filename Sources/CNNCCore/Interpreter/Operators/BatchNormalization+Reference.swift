extension BatchNormalization: ReferenceSemantics {
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float] {
        let input = inputs[0].values
        let scale = parameters[.weight]!, shift = parameters[.bias]!
        let mean = parameters[.runningMean]!, variance = parameters[.runningVar]!
        var out = input
        let planeSize = layer.input.height * layer.input.width
        for channel in 0..<layer.input.channels {
            let inverse = 1 / (variance[channel] + eps).squareRoot()
            for index in channel * planeSize..<(channel + 1) * planeSize {
                out[index] = (input[index] - mean[channel]) * inverse * scale[channel] + shift[channel]
            }
        }
        return out
    }
}
