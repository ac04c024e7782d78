import ONNXProto

extension TransposedConvolution: ONNXExporting {
    /// `ConvTranspose`. ONNX Runtime refuses an output_padding not smaller than the stride, which the
    /// spec allows when the dilation is larger: then the full output is written uncropped, the
    /// output padding added as zero rows and columns by `Pad`, the crop done by `Slice`, and the bias
    /// added last.
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        let name = export.name
        let x = export.spatialInput(&graph)
        let weight = export.parameter(.weight, &graph)!
        let bias = export.parameter(.bias, &graph)
        let geometry = [
            ONNXAttribute.ints("kernel_shape", [kernel.height, kernel.width]),
            ONNXAttribute.ints("strides", [stride.height, stride.width]),
            ONNXAttribute.ints("dilations", [dilation.height, dilation.width]),
            ONNXAttribute.int("group", groups),
        ]
        if outputPadding.height < stride.height && outputPadding.width < stride.width {
            graph.node("ConvTranspose", [x, weight] + (bias.map { [$0] } ?? []), name: name, output: export.output, geometry + [
                ONNXAttribute.ints("pads", [padding.top, padding.left, padding.bottom, padding.right]),
                ONNXAttribute.ints("output_padding", [outputPadding.height, outputPadding.width]),
            ])
            return
        }
        let input = export.layer.input
        let fullHeight = (input.height - 1) * stride.height + dilation.height * (kernel.height - 1) + 1
        let fullWidth = (input.width - 1) * stride.width + dilation.width * (kernel.width - 1) + 1
        var y = graph.node("ConvTranspose", [x, weight], name: "\(name)/conv_transpose", geometry)
        y = graph.node("Pad", [y, graph.integers("\(name)/output_padding", [0, 0, 0, 0, 0, 0, outputPadding.height, outputPadding.width])],
                       name: "\(name)/pad", [ONNXAttribute.string("mode", "constant")])
        let crop = [y, graph.integers("\(name)/crop_starts", [padding.top, padding.left]),
                    graph.integers("\(name)/crop_ends", [fullHeight + outputPadding.height - padding.bottom,
                                                         fullWidth + outputPadding.width - padding.right]),
                    graph.integers("\(name)/crop_axes", [2, 3])]
        guard let bias else {
            graph.node("Slice", crop, name: name, output: export.output)
            return
        }
        let cropped = graph.node("Slice", crop, name: "\(name)/crop")
        let shift = graph.node("Unsqueeze", [bias, graph.integers("\(name)/bias_axes", [1, 2])], name: "\(name)/bias")
        graph.node("Add", [cropped, shift], name: name, output: export.output)
    }
}
