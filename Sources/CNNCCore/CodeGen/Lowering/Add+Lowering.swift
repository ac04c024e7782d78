import CNNCKernels

extension Add: Lowering {
    var fusion: Fusion { [.activationEpilogue] }

    /// A running sum, in the order listed; the activation on the last addition. In place over the
    /// first input when this is its last reader.
    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let sources = layer.inputs.map { builder.read($0) }
        let target = builder.target(for: group, reusing: layer.inputs[0])
        var sum = sources[0]
        for (index, addend) in sources.enumerated().dropFirst() {
            let last = index == sources.count - 1
            builder.emit(.add(first: sum, second: addend, target: target, count: layer.output.count,
                              activation: last ? group.epilogue : .identity))
            sum = target
        }
    }
}
