import ONNXProto

extension Dense: ONNXExporting {
    /// `Gemm` with transB = 1 (PyTorch's `[out, in]` weights), after a `Flatten` when the input is 4-D.
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        var x = export.inputs[0].name
        if export.inputs[0].rank == 4 {
            x = graph.node("Flatten", [x], name: "\(export.name)/flatten", [ONNXAttribute.int("axis", 1)])
        }
        export.rank = 2
        let inputs = [x, export.parameter(.weight, &graph)!] + (export.parameter(.bias, &graph).map { [$0] } ?? [])
        graph.node("Gemm", inputs, name: export.name, output: export.output, [ONNXAttribute.int("transB", 1)])
    }
}
