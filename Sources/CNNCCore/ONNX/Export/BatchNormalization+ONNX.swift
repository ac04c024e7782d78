import ONNXProto

extension BatchNormalization: ONNXExporting {
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        let parameters = [ParameterRole.weight, .bias, .runningMean, .runningVar].map { export.parameter($0, &graph)! }
        graph.node("BatchNormalization", [export.inputs[0].name] + parameters, name: export.name, output: export.output,
                   [ONNXAttribute.float("epsilon", eps)])
    }
}
