import CNNCKernels

extension Dense: Lowering {
    var fusion: Fusion { [.foldsBatchnorm, .activationEpilogue] }

    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        let (inFeatures, outFeatures) = (self.inFeatures, self.outFeatures)
        let batchnorm = group.batchnorm
        let parameters = { (weights: NetworkWeights) in
            WeightFolding.parameters(layer, folding: batchnorm, perOutput: inFeatures, weights)
        }
        let source = builder.read(layer.inputs[0])
        let weights = builder.slice("\(layer.name).weight", count: densePackedCount(inFeatures: inFeatures, outFeatures: outFeatures)) {
            packForDense(parameters($0).weight, inFeatures: inFeatures, outFeatures: outFeatures)
        }
        let bias = hasBias || batchnorm != nil ? builder.slice("\(layer.name).bias", count: outFeatures) { parameters($0).bias! } : nil
        let target = builder.target(for: group)
        builder.emit(.dense(source: source, target: target, weights: weights, bias: bias, inFeatures: inFeatures,
                            outFeatures: outFeatures, activation: group.epilogue))
    }
}
