import CNNCKernels

extension Pooling: Lowering {
    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let geometry = PoolingGeometry(
            channels: layer.input.channels, inHeight: layer.input.height, inWidth: layer.input.width,
            outHeight: layer.output.height, outWidth: layer.output.width, kernelHeight: window.kernel.height,
            kernelWidth: window.kernel.width, strideHeight: window.stride.height, strideWidth: window.stride.width,
            margins: Margins(top: window.padding.top, bottom: window.padding.bottom, left: window.padding.left, right: window.padding.right))
        let source = builder.read(layer.inputs[0])
        let target = builder.target(for: group)
        switch reduction {
        case .max: builder.emit(.maxPool(source: source, target: target, geometry: geometry))
        case .average(let countIncludePad):
            builder.emit(.averagePool(source: source, target: target, geometry: geometry, countIncludePad: countIncludePad))
        }
    }
}
