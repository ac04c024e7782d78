import ONNXProto

extension Convolution: ONNXExporting {
    /// `Conv` with explicit per-side pads. Other padding modes become a node before it: `Pad` mode
    /// `constant`, `reflect` or `edge`; circular padding is `Slice` + `Concat` per axis (`Pad` mode
    /// `wrap` needs opset 19).
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        let name = export.name
        var x = export.spatialInput(&graph)
        let padding = window.padding
        var pads = [padding.top, padding.left, padding.bottom, padding.right]
        var mode = paddingMode
        if case .constant(0) = mode { mode = .zeros }
        if !padding.isZero {
            switch mode {
            case .zeros:
                break
            case .constant, .reflect, .replicate:
                var inputs = [x, graph.integers("\(name)/pads", [0, 0, padding.top, padding.left, 0, 0, padding.bottom, padding.right])]
                if case .constant(let value) = mode { inputs.append(graph.scalar("\(name)/padding_value", value)) }
                let onnxMode = switch mode {
                case .reflect: "reflect"
                case .replicate: "edge"
                case .zeros, .constant, .circular: "constant"
                }
                x = graph.node("Pad", inputs, name: "\(name)/pad", [ONNXAttribute.string("mode", onnxMode)])
                pads = [0, 0, 0, 0]
            case .circular:
                let input = export.layer.input
                for (axis, before, after, size) in [(2, padding.top, padding.bottom, input.height), (3, padding.left, padding.right, input.width)]
                where before > 0 || after > 0 {
                    let axes = graph.integers("\(name)/wrap_axis\(axis)", [axis])
                    var parts: [String] = []
                    if before > 0 {
                        parts.append(graph.node("Slice", [x, graph.integers("\(name)/wrap_begin\(axis)", [size - before]),
                                                          graph.integers("\(name)/wrap_begin\(axis)_end", [size]), axes],
                                                name: "\(name)/wrap_before_\(axis)"))
                    }
                    parts.append(x)
                    if after > 0 {
                        parts.append(graph.node("Slice", [x, graph.integers("\(name)/wrap_end\(axis)_start", [0]),
                                                          graph.integers("\(name)/wrap_end\(axis)", [after]), axes],
                                                name: "\(name)/wrap_after_\(axis)"))
                    }
                    x = graph.node("Concat", parts, name: "\(name)/wrap_\(axis == 2 ? "h" : "w")", [ONNXAttribute.int("axis", axis)])
                }
                pads = [0, 0, 0, 0]
            }
        }
        let inputs = [x, export.parameter(.weight, &graph)!] + (export.parameter(.bias, &graph).map { [$0] } ?? [])
        graph.node("Conv", inputs, name: name, output: export.output, [
            ONNXAttribute.ints("kernel_shape", [window.kernel.height, window.kernel.width]),
            ONNXAttribute.ints("strides", [window.stride.height, window.stride.width]),
            ONNXAttribute.ints("dilations", [window.dilation.height, window.dilation.width]),
            ONNXAttribute.ints("pads", pads),
            ONNXAttribute.int("group", groups),
        ])
    }
}
