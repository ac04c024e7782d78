import ONNXProto

extension Upsampling: ONNXExporting {
    /// `Resize` with scales [1, 1, h, w]: nearest with `asymmetric` coordinates and `floor`, or linear
    /// with `half_pixel` (PyTorch's `align_corners=False`).
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        let x = export.spatialInput(&graph)
        let scales = graph.initializer("\(export.name)/scales", [1, 1, Float(scale.height), Float(scale.width)], shape: [4])
        let attributes = switch mode {
        case .nearest:
            [ONNXAttribute.string("mode", "nearest"), ONNXAttribute.string("coordinate_transformation_mode", "asymmetric"),
             ONNXAttribute.string("nearest_mode", "floor")]
        case .bilinear:
            [ONNXAttribute.string("mode", "linear"), ONNXAttribute.string("coordinate_transformation_mode", "half_pixel")]
        }
        graph.node("Resize", [x, "", scales], name: export.name, output: export.output, attributes)
    }
}
