import ONNXProto

extension Activation: ONNXExporting {
    /// `Relu`, `Clip` (relu6), `LeakyRelu`, `Elu`, `Sigmoid`, `Tanh`; gelu as x·0.5·(1 + erf(x/√2))
    /// from `Erf` (`Gelu` is opset 20); silu as x·Sigmoid(x); softmax as `Softmax` over axis 1, the
    /// channels (opset 13 and later).
    func exportONNX(_ export: inout ONNXLayerExport, into graph: inout ONNXGraphBuilder) {
        let (name, x, output) = (export.name, export.inputs[0].name, export.output)
        switch self {
        case .relu: graph.node("Relu", [x], name: name, output: output)
        case .relu6:
            graph.node("Clip", [x, graph.scalar("\(name)/min", 0), graph.scalar("\(name)/max", 6)], name: name, output: output)
        case .leakyReLU(let alpha): graph.node("LeakyRelu", [x], name: name, output: output, [ONNXAttribute.float("alpha", alpha)])
        case .elu(let alpha): graph.node("Elu", [x], name: name, output: output, [ONNXAttribute.float("alpha", alpha)])
        case .sigmoid: graph.node("Sigmoid", [x], name: name, output: output)
        case .tanh: graph.node("Tanh", [x], name: name, output: output)
        case .gelu:
            let scaled = graph.node("Div", [x, graph.scalar("\(name)/sqrt2", Float(2).squareRoot())], name: "\(name)/div")
            let erf = graph.node("Erf", [scaled], name: "\(name)/erf")
            let shifted = graph.node("Add", [erf, graph.scalar("\(name)/one", 1)], name: "\(name)/add")
            let product = graph.node("Mul", [x, shifted], name: "\(name)/mul")
            graph.node("Mul", [product, graph.scalar("\(name)/half", 0.5)], name: name, output: output)
        case .silu:
            let sigmoid = graph.node("Sigmoid", [x], name: "\(name)/sigmoid")
            graph.node("Mul", [x, sigmoid], name: name, output: output)
        case .softmax: graph.node("Softmax", [x], name: name, output: output, [ONNXAttribute.int("axis", 1)])
        }
    }
}
