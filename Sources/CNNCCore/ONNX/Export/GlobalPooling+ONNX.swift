import ONNXProto

extension GlobalPooling: ONNXExporting {
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        let x = export.spatialInput(&graph)
        let op = switch reduction {
        case .average: "GlobalAveragePool"
        case .max: "GlobalMaxPool"
        }
        graph.node(op, [x], name: export.name, output: export.output)
    }
}
