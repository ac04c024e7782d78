import ONNXProto

extension Flatten: ONNXExporting {
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        graph.node("Flatten", [export.inputs[0].name], name: export.name, output: export.output, [ONNXAttribute.int("axis", 1)])
        export.rank = 2
    }
}
