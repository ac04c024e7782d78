extension GlobalPooling: Lowering {
    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let source = builder.read(layer.inputs[0])
        let target = builder.target(for: group)
        let (channels, plane) = (layer.input.channels, layer.input.height * layer.input.width)
        switch reduction {
        case .average: builder.emit(.globalAveragePool(source: source, target: target, channels: channels, plane: plane))
        case .max: builder.emit(.globalMaxPool(source: source, target: target, channels: channels, plane: plane))
        }
    }
}
