import ONNXProto

extension Add: ONNXExporting {
    /// A chain of `Add` nodes in the order listed.
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        let terms = export.inputsAtOneRank(&graph)
        var sum = terms[0]
        for (position, term) in terms.enumerated().dropFirst() {
            let last = position == terms.count - 1
            sum = graph.node("Add", [sum, term], name: last ? export.name : "\(export.name)/add\(position)", output: last ? export.output : nil)
        }
    }
}
