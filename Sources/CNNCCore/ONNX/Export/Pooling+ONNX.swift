import ONNXProto

extension Pooling: ONNXExporting {
    /// `MaxPool` or `AveragePool`. `ceil_mode` is never passed to ONNX (ONNX shape inference and
    /// ONNX Runtime disagree on a window that starts in the padding): its extra windows are extra end
    /// padding, computed from the output size cnnc resolved. With `count_include_pad` and such an
    /// overhang, the stated padding must count in the divisor and the overhang must not: the stated
    /// padding becomes an explicit zero `Pad`, and the pool excludes only the overhang.
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        let name = export.name
        var x = export.spatialInput(&graph)
        let (input, output, padding) = (export.layer.input, export.layer.output, window.padding)
        func extra(_ size: Int, _ out: Int, _ kernel: Int, _ stride: Int, _ before: Int, _ after: Int) -> Int {
            max(0, (out - 1) * stride + kernel - (size + before + after))
        }
        let extraHeight = extra(input.height, output.height, window.kernel.height, window.stride.height, padding.top, padding.bottom)
        let extraWidth = extra(input.width, output.width, window.kernel.width, window.stride.width, padding.left, padding.right)
        var pads = [padding.top, padding.left, padding.bottom + extraHeight, padding.right + extraWidth]
        var attributes = [ONNXAttribute.ints("kernel_shape", [window.kernel.height, window.kernel.width]),
                          ONNXAttribute.ints("strides", [window.stride.height, window.stride.width])]
        switch reduction {
        case .max:
            graph.node("MaxPool", [x], name: name, output: export.output, attributes + [ONNXAttribute.ints("pads", pads)])
        case .average(let countIncludePad):
            var counted = countIncludePad
            if countIncludePad && extraHeight + extraWidth > 0 {
                if !padding.isZero {
                    x = graph.node("Pad", [x, graph.integers("\(name)/pads", [0, 0, padding.top, padding.left, 0, 0, padding.bottom, padding.right])],
                                   name: "\(name)/pad", [ONNXAttribute.string("mode", "constant")])
                }
                pads = [0, 0, extraHeight, extraWidth]
                counted = false
            }
            attributes += [ONNXAttribute.ints("pads", pads), ONNXAttribute.int("count_include_pad", counted ? 1 : 0)]
            graph.node("AveragePool", [x], name: name, output: export.output, attributes)
        }
    }
}
