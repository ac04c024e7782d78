import ONNXProto

extension Concatenation: ONNXExporting {
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        graph.node("Concat", export.inputsAtOneRank(&graph), name: export.name, output: export.output, [ONNXAttribute.int("axis", 1)])
    }
}
