extension BatchNormalization: Lowering {
    var fusion: Fusion { [.activationEpilogue] }

    /// A batchnorm not folded into a producer: one multiply-add per value, in place when it can be.
    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let source = builder.read(layer.inputs[0])
        let channels = layer.output.channels
        let scale = builder.slice("\(layer.name).scale", count: channels) { WeightFolding.batchnormFactors(layer, $0).scale }
        let shift = builder.slice("\(layer.name).shift", count: channels) { WeightFolding.batchnormFactors(layer, $0).shift }
        let target = builder.target(for: group, reusing: layer.inputs[0])
        builder.emit(.scaleAndShift(source: source, target: target, scale: scale, shift: shift, channels: channels,
                                    plane: layer.output.height * layer.output.width, activation: group.epilogue))
    }
}
