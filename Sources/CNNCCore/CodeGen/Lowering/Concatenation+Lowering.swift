extension Concatenation: Lowering {
    /// Each input copied to its run of channels (in C, H, W order, one contiguous block per input).
    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let sources = layer.inputs.map { builder.read($0) }
        let target = builder.target(for: group)
        var offset = 0
        for (source, shape) in zip(sources, layer.inputShapes) {
            builder.emit(.copy(source: source, target: target.advanced(by: offset), count: shape.count))
            offset += shape.count
        }
    }
}
