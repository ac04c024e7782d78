import ONNXProto

extension Multiply: ONNXExporting {
    /// `Mul`: a C×1×1 gate is [N, C, 1, 1] (the other input is spatial, so both are 4-D), and ONNX
    /// broadcasting scales each channel of the other input, in either order.
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        graph.node("Mul", export.inputsAtOneRank(&graph), name: export.name, output: export.output)
    }
}
