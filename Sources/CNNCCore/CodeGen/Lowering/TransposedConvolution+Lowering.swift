import CNNCKernels

extension TransposedConvolution: Lowering {
    var fusion: Fusion { [.activationEpilogue] }

    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let geometry = TransposedGeometry(
            inChannels: inChannels, outChannels: outChannels, groups: groups, inHeight: layer.input.height, inWidth: layer.input.width,
            outHeight: layer.output.height, outWidth: layer.output.width, kernelHeight: kernel.height, kernelWidth: kernel.width,
            strideHeight: stride.height, strideWidth: stride.width, dilationHeight: dilation.height, dilationWidth: dilation.width,
            padTop: padding.top, padLeft: padding.left)
        let source = builder.read(layer.inputs[0])
        let name = layer.name
        let weights = builder.slice("\(name).weight", count: transposedPackedCount(geometry)) {
            packForTransposed($0[name: layer.tensorName(.weight)]!, geometry: geometry)
        }
        let bias = hasBias ? builder.slice("\(name).bias", count: outChannels) { $0[name: layer.tensorName(.bias)]! } : nil
        let target = builder.target(for: group)
        builder.emit(.convolveTransposed(source: source, target: target, weights: weights, bias: bias, geometry: geometry,
                                         activation: group.epilogue))
    }
}
