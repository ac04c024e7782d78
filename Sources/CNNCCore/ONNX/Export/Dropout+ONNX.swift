import ONNXProto

extension Dropout: ONNXExporting {
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        graph.node("Identity", [export.inputs[0].name], name: export.name, output: export.output)
    }
}
