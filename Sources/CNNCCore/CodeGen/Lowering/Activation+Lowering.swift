extension Activation: Lowering {
    /// On its own (not fused into a producer): in place when this is the input's last reader.
    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let source = builder.read(layer.inputs[0])
        let target = builder.target(for: group, reusing: layer.inputs[0])
        if let function {
            builder.emit(.activate(source: source, target: target, count: layer.output.count, activation: function))
        } else {
            builder.emit(.softmax(source: source, target: target, channels: layer.output.channels,
                                  plane: layer.output.height * layer.output.width))
        }
    }
}
