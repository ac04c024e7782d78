extension Upsampling: Lowering {
    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let source = builder.read(layer.inputs[0])
        let target = builder.target(for: group)
        let input = layer.input
        switch mode {
        case .nearest:
            builder.emit(.upsampleNearest(source: source, target: target, channels: input.channels, inHeight: input.height,
                                          inWidth: input.width, scale: scale))
        case .bilinear:
            builder.emit(.upsampleBilinear(source: source, target: target, channels: input.channels, inHeight: input.height,
                                           inWidth: input.width, scale: scale))
        }
    }
}
