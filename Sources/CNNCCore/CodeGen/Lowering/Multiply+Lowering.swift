extension Multiply: Lowering {
    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let first = builder.read(layer.inputs[0]), second = builder.read(layer.inputs[1])
        if let gateInput {
            let tensor = layer.inputs[1 - gateInput]
            let target = builder.target(for: group, reusing: tensor)
            builder.emit(.multiplyChannels(source: gateInput == 0 ? second : first, gate: gateInput == 0 ? first : second, target: target,
                                           channels: layer.output.channels, plane: layer.output.height * layer.output.width))
        } else {
            let target = builder.target(for: group, reusing: layer.inputs[0])
            builder.emit(.multiply(first: first, second: second, target: target, count: layer.output.count))
        }
    }
}
