import Foundation
import ONNXProto

/// Each ONNX operation the importer understands, and what it becomes (docs/import.md has the table).
extension ONNXImporter {
    /// The inputs each operation must have (ONNX's required inputs; `Max` and `Min` as binary operations).
    static let requiredInputs: [String: Int] = [
        "Identity": 1, "Dropout": 1, "Cast": 1, "CastLike": 2, "Shape": 1, "Expand": 2, "Reshape": 2, "Flatten": 1,
        "Unsqueeze": 1, "Squeeze": 1, "Concat": 1, "Gather": 2, "Slice": 1, "Transpose": 1,
        "Add": 2, "Sub": 2, "Mul": 2, "Div": 2, "Pow": 2, "Max": 2, "Min": 2,
        "Neg": 1, "Sqrt": 1, "Erf": 1, "Exp": 1, "Sigmoid": 1, "Tanh": 1, "Relu": 1, "LeakyRelu": 1, "Elu": 1, "Clip": 1, "Gelu": 1,
        "Conv": 2, "ConvTranspose": 2, "MaxPool": 1, "AveragePool": 1, "GlobalAveragePool": 1, "GlobalMaxPool": 1,
        "ReduceMean": 1, "ReduceMax": 1, "BatchNormalization": 5, "Gemm": 2, "MatMul": 2, "Softmax": 1,
        "Resize": 1, "Upsample": 2, "Pad": 1,
    ]

    mutating func importNode(_ node: Onnx_NodeProto) throws(ImportFailure) {
        let attributes = ONNXAttributes(node)
        guard let output = node.output.first, !output.isEmpty else { throw ImportFailure("has no output") }
        // The folding and the importers below read an operation's required inputs by position.
        if let required = Self.requiredInputs[node.opType], node.input.count < required {
            throw ImportFailure("has \(node.input.count) input\(node.input.count == 1 ? "" : "s"); \(node.opType) needs \(required)")
        }
        // Folding: a node whose inputs are all constants computes a constant.
        let inputsKnown = node.input.filter { !$0.isEmpty }.allSatisfy { if case .constant = values[$0] { true } else { false } }
        if inputsKnown {
            var known: [ONNXConstant?] = []
            for name in node.input { known.append(name.isEmpty ? nil : try constant(name)) }
            if let folded = try ConstantFolding.fold(node, attributes, inputs: known, opset: opset) {
                values[output] = .constant(folded)
                return
            }
        }
        switch node.opType {
        case "Constant":
            values[output] = .constant(try ConstantFolding.constantNode(node, attributes))
        case "Shape":
            let tensor = try tensor(node.input[0], of: node)
            let shape = ONNXConstant.shapeSlice([batch] + tensor.dims, start: attributes.int("start"), end: attributes.int("end"))
            values[output] = .constant(ONNXConstant(dims: [shape.count], values: .integers(shape)))
        case "CastLike":
            // The dynamo exporter casts constants like a computed tensor: cnnc computes in float32.
            if let constant = try constant(node.input[0]) {
                guard let floats = constant.floats else { throw ImportFailure("casts the batch size to a float") }
                values[output] = .constant(ONNXConstant(dims: constant.dims, values: .floats(floats)))
            } else if case .constant(let like)? = values[node.input[1]], case .integers = like.values {
                throw ImportFailure("casts a computed tensor to integers; cnnc computes in float32")
            } else {
                values[output] = .tensor(try unpaddedTensor(node.input[0], of: node))
            }
        case "Identity", "Dropout":
            try importDropout(node, attributes, output)
        case "Cast":
            guard attributes.int("to") == Int(Onnx_TensorProto.DataType.float.rawValue) else {
                throw ImportFailure("casts a computed tensor to type \(attributes.int("to") ?? 0); cnnc computes in float32")
            }
            values[output] = .tensor(try unpaddedTensor(node.input[0], of: node))
        case "Conv": try importConvolution(node, attributes, output)
        case "ConvTranspose": try importTransposedConvolution(node, attributes, output)
        case "MaxPool", "AveragePool": try importPooling(node, attributes, output)
        case "GlobalAveragePool", "GlobalMaxPool":
            let x = try unpaddedTensor(node.input[0], of: node)
            guard x.dims.count == 3 else { throw ImportFailure("needs a 4-D input, got [N, \(x.dims.map(String.init).joined(separator: ", "))]") }
            try define(output, as: ImportedLayer(name: layerName(for: node), keyword: node.opType == "GlobalAveragePool" ? "global_avgpool" : "global_maxpool",
                                             inputs: [x.layer], dims: [x.channels, 1, 1]))
        case "ReduceMean", "ReduceMax": try importPlaneReduction(node, attributes, output)
        case "Transpose": try importTranspose(node, attributes, output)
        case "BatchNormalization": try importBatchNormalization(node, attributes, output)
        case "Flatten":
            let x = try unpaddedTensor(node.input[0], of: node)
            guard (attributes.int("axis") ?? 1) == 1 else {
                throw ImportFailure("flattens from axis \(attributes.int("axis")!); cnnc's flatten keeps the batch and flattens the rest (axis 1)")
            }
            try define(output, as: ImportedLayer(name: layerName(for: node), keyword: "flatten", inputs: [x.layer], dims: [x.dims.reduce(1, *)]))
        case "Reshape": try importReshape(node, output)
        case "Expand": throw ImportFailure("broadcasts a computed tensor to a new shape; cnnc has no such layer")
        case "Unsqueeze", "Squeeze": try importUnsqueeze(node, attributes, output)
        case "Gemm", "MatMul": try importDense(node, attributes, output)
        case "Softmax": try importSoftmax(node, attributes, output)
        case "Resize", "Upsample": try importResize(node, attributes, output)
        case "Pad": try importPad(node, attributes, output)
        case "Slice": try importSlice(node, output)
        case "Concat": try importConcat(node, attributes, output)
        case "Add", "Sub", "Mul", "Div", "Max", "Min": try importBinary(node, output)
        case "Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Neg", "LeakyRelu", "Elu", "Clip", "Gelu":
            try importUnary(node, attributes, output)
        default:
            throw ImportFailure(Self.unsupportedReason(node.opType))
        }
    }

    /// Every operation `importNode` handles (constant-only operations fold besides).
    static let supportedOperations: Set<String> = [
        "Constant", "Shape", "Identity", "Dropout", "Cast", "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool",
        "GlobalMaxPool", "BatchNormalization", "Flatten", "Reshape", "Unsqueeze", "Squeeze", "Gemm", "MatMul", "Softmax", "Resize",
        "Upsample", "Pad", "Slice", "Concat", "Add", "Sub", "Mul", "Div", "Max", "Min", "Relu", "Sigmoid", "Tanh", "Erf", "Exp", "Neg",
        "LeakyRelu", "Elu", "Clip", "Gelu", "ReduceMean", "ReduceMax", "Transpose", "CastLike", "Expand",
    ]

    static func unsupportedReason(_ op: String) -> String {
        switch op {
        case "LSTM", "GRU", "RNN": "a recurrent layer; cnnc's spec language has convolutional layers only"
        case "LogSoftmax": "log-softmax; cnnc has softmax (export the model without the log, or take the log of its outputs)"
        case "HardSigmoid", "HardSwish", "Mish", "Softplus", "PRelu", "Selu": "an activation cnnc does not have (it has relu, relu6, leaky_relu, elu, sigmoid, tanh, gelu, silu, softmax)"
        case "LRN", "InstanceNormalization", "LayerNormalization", "GroupNormalization": "a normalisation cnnc does not have (it has batchnorm)"
        case "ReduceSum", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin":
            "a reduction cnnc does not have (it averages or takes the maximum of whole planes: ReduceMean and ReduceMax over H and W)"
        default: "unsupported operation: cnnc's spec language has no equivalent"
        }
    }

    // MARK: Convolutions

    /// Padding from `pads` or `auto_pad` for a window layer.
    private func windowPadding(_ attributes: ONNXAttributes, input: Tensor, kernel: Pair, stride: Pair, dilation: Pair) throws(ImportFailure) -> Padding {
        let autoPad = attributes.string("auto_pad") ?? "NOTSET"
        switch autoPad {
        case "NOTSET":
            let pads = attributes.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else { throw ImportFailure("has pads \(pads); cnnc needs four non-negative sides") }
            return Padding(top: pads[0], bottom: pads[2], left: pads[1], right: pads[3])
        case "VALID":
            return .zero
        case "SAME_UPPER", "SAME_LOWER":
            let vertical = samePadding(input: input.height, extent: dilation.height * (kernel.height - 1) + 1, stride: stride.height)
            let horizontal = samePadding(input: input.width, extent: dilation.width * (kernel.width - 1) + 1, stride: stride.width)
            return autoPad == "SAME_UPPER"
                ? Padding(top: vertical.before, bottom: vertical.after, left: horizontal.before, right: horizontal.after)
                : Padding(top: vertical.after, bottom: vertical.before, left: horizontal.after, right: horizontal.before)
        default:
            throw ImportFailure("has auto_pad '\(autoPad)', which ONNX does not define")
        }
    }

    private func pair(_ values: [Int]?, default fallback: Int, _ what: String) throws(ImportFailure) -> Pair {
        guard let values else { return Pair(square: fallback) }
        guard values.count == 2, values.allSatisfy({ $0 >= 1 }) else { throw ImportFailure("has \(what) \(values); cnnc needs two positive values (a 2-D layer)") }
        return Pair(values[0], values[1])
    }

    private func weights(_ name: String, rank: Int, _ what: String) throws(ImportFailure) -> (ONNXConstant, [Float]) {
        guard let constant = try constant(name), constant.dims.count == rank, constant.dims.allSatisfy({ $0 >= 1 }), let values = constant.float32 else {
            throw ImportFailure("its \(what) '\(name)' is not a non-empty constant float tensor of rank \(rank) (cnnc embeds the weights; they must be initializers)")
        }
        return (constant, values)
    }

    /// `group`, `kernel_shape` (by default the weight's), `strides` and `dilations`: what Conv and
    /// ConvTranspose read alike.
    private func convolutionWindow(_ attributes: ONNXAttributes, weight w: ONNXConstant) throws(ImportFailure) -> (groups: Int, kernel: Pair, stride: Pair, dilation: Pair) {
        (attributes.int("group") ?? 1,
         try pair(attributes.ints("kernel_shape") ?? [w.dims[2], w.dims[3]], default: 1, "kernel_shape"),
         try pair(attributes.ints("strides"), default: 1, "strides"),
         try pair(attributes.ints("dilations"), default: 1, "dilations"))
    }

    private mutating func importConvolution(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try tensor(node.input[0], of: node)
        guard x.dims.count == 3 else { throw ImportFailure("needs a 4-D input") }
        let (w, weight) = try weights(node.input[1], rank: 4, "weight")
        let (groups, kernel, stride, dilation) = try convolutionWindow(attributes, weight: w)
        var padding = try windowPadding(attributes, input: x, kernel: kernel, stride: stride, dilation: dilation)
        var mode = PaddingMode.zeros
        if let pad = x.pendingPad {
            switch pad.mode {
            case .zeros, .constant(0):
                padding = Padding(top: padding.top + pad.padding.top, bottom: padding.bottom + pad.padding.bottom,
                                  left: padding.left + pad.padding.left, right: padding.right + pad.padding.right)
            case .constant, .reflect, .replicate, .circular:
                guard padding.isZero else { throw ImportFailure("pads itself after a Pad of mode \(pad.mode.keyword); cnnc has one padding per convolution") }
                padding = pad.padding
                mode = pad.mode
            }
            // The spec's rule: reflect padding smaller than the input side, circular at most it.
            if mode == .reflect || mode == .circular {
                let largest = mode == .reflect ? Pair(x.height - 1, x.width - 1) : Pair(x.height, x.width)
                guard max(padding.top, padding.bottom) <= largest.height, max(padding.left, padding.right) <= largest.width else {
                    throw ImportFailure("pads a \(x.height)×\(x.width) input by \(padding) in \(mode.keyword) mode; cnnc's \(mode.keyword) padding must be \(mode == .reflect ? "smaller than" : "at most") the input side")
                }
            }
        }
        var bias: [Float]?
        if node.input.count > 2, !node.input[2].isEmpty {
            let (constant, values) = try weights(node.input[2], rank: 1, "bias")
            // The dynamo exporter spells `bias=False` as a zero vector computed from the weight's shape.
            if constant.source != nil || values.contains(where: { $0 != 0 }) { bias = values }
        }
        let outChannels = w.dims[0]
        try checkGroups(groups, weight: w, inputChannels: x.channels, outputChannels: outChannels, weightInputAxis: 1)
        try checkKernel(kernel, weight: w)
        guard let height = windowOutputSize(input: x.height, extent: dilation.height * (kernel.height - 1) + 1, stride: stride.height,
                                            padBefore: padding.top, padAfter: padding.bottom, ceilMode: false),
              let width = windowOutputSize(input: x.width, extent: dilation.width * (kernel.width - 1) + 1, stride: stride.width,
                                           padBefore: padding.left, padAfter: padding.right, ceilMode: false) else {
            throw ImportFailure("slides a \(kernel.height)×\(kernel.width) kernel with dilation \(dilation.height)×\(dilation.width) over a \(x.height)×\(x.width) input padded by \(padding); it does not fit")
        }
        var layer = ImportedLayer(name: layerName(for: node, weight: w.source), keyword: "conv", inputs: [x.layer], dims: [outChannels, height, width])
        layer.setWindow(channels: outChannels, kernel: kernel, stride: stride, padding: padding)
        switch mode {
        case .zeros: break
        case .constant(let value):
            layer["padding_mode"] = .word("constant")
            layer["padding_value"] = .number(value)
        case .reflect, .replicate, .circular: layer["padding_mode"] = .word(mode.keyword)
        }
        layer.setGroupsAndTensors(dilation: dilation, groups: groups, weight: (w.dims, weight), bias: bias, channels: outChannels)
        try define(output, as: layer)
    }

    private mutating func importTransposedConvolution(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try unpaddedTensor(node.input[0], of: node)
        guard x.dims.count == 3 else { throw ImportFailure("needs a 4-D input") }
        let (w, weight) = try weights(node.input[1], rank: 4, "weight")
        let (groups, kernel, stride, dilation) = try convolutionWindow(attributes, weight: w)
        let extra = attributes.ints("output_padding") ?? [0, 0]
        guard extra.count == 2, extra.allSatisfy({ $0 >= 0 }) else { throw ImportFailure("has output_padding \(extra)") }
        var padding: Padding
        if let shape = attributes.ints("output_shape"), shape.count >= 2 {
            // ONNX: total = stride·(in − 1) + output_padding + (kernel − 1)·dilation + 1 − output_shape.
            let sizes = Array(shape.suffix(2))
            let totals = [stride.height * (x.height - 1) + extra[0] + (kernel.height - 1) * dilation.height + 1 - sizes[0],
                          stride.width * (x.width - 1) + extra[1] + (kernel.width - 1) * dilation.width + 1 - sizes[1]]
            guard totals.allSatisfy({ $0 >= 0 }) else { throw ImportFailure("asks for output_shape \(shape), larger than the full output") }
            let upper = attributes.string("auto_pad") == "SAME_UPPER"
            func split(_ total: Int) -> (Int, Int) { upper ? (total / 2, total - total / 2) : (total - total / 2, total / 2) }
            let (top, bottom) = split(totals[0]), (left, right) = split(totals[1])
            padding = Padding(top: top, bottom: bottom, left: left, right: right)
        } else {
            guard (attributes.string("auto_pad") ?? "NOTSET") == "NOTSET" else {
                throw ImportFailure("has auto_pad '\(attributes.string("auto_pad")!)' without output_shape; cnnc needs explicit pads for a transposed convolution")
            }
            let pads = attributes.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else { throw ImportFailure("has pads \(pads)") }
            padding = Padding(top: pads[0], bottom: pads[2], left: pads[1], right: pads[3])
        }
        var bias: [Float]?
        if node.input.count > 2, !node.input[2].isEmpty { bias = try weights(node.input[2], rank: 1, "bias").1 }
        let outChannels = w.dims[1] * groups
        try checkGroups(groups, weight: w, inputChannels: x.channels, outputChannels: outChannels, weightInputAxis: 0)
        try checkKernel(kernel, weight: w)
        var layer = ImportedLayer(name: layerName(for: node, weight: w.source), keyword: "conv_transpose", inputs: [x.layer], dims: [])
        layer.setWindow(channels: outChannels, kernel: kernel, stride: stride, padding: padding)
        if extra != [0, 0] { layer["output_padding"] = .pair(extra[0], extra[1]) }
        layer.setGroupsAndTensors(dilation: dilation, groups: groups, weight: (w.dims, weight), bias: bias, channels: outChannels)
        layer.dims = transposedDims(layer, input: x)
        try define(output, as: layer)
    }

    /// ONNX's rules for a convolution's weight, which a runtime would refuse at load time: the
    /// groups divide both channel counts and the weight's input axis times the groups is the input's
    /// channels (Conv's weight is [out, in/groups, kh, kw], ConvTranspose's [in, out/groups, kh, kw]).
    private func checkGroups(_ groups: Int, weight w: ONNXConstant, inputChannels: Int, outputChannels: Int, weightInputAxis: Int) throws(ImportFailure) {
        let weightInputs = weightInputAxis == 1 ? w.dims[1] * groups : w.dims[0]
        guard groups >= 1, outputChannels >= 1, inputChannels % groups == 0, outputChannels % groups == 0, weightInputs == inputChannels else {
            throw ImportFailure("has a weight of shape \(w.dims) and group \(groups) for an input of \(inputChannels) channels")
        }
    }

    private func checkKernel(_ kernel: Pair, weight w: ONNXConstant) throws(ImportFailure) {
        guard kernel == Pair(w.dims[2], w.dims[3]) else {
            throw ImportFailure("has kernel_shape [\(kernel.height), \(kernel.width)] but a weight of shape \(w.dims)")
        }
    }

    /// Output dims of an imported conv_transpose from its options (they may change after import).
    func transposedDims(_ layer: ImportedLayer, input: Tensor) -> [Int] {
        func pair(_ key: String, _ fallback: Int) -> Pair {
            if case .pair(let h, let w)? = layer[key] { return Pair(h, w) }
            return Pair(square: fallback)
        }
        var padding = Padding.zero
        if case .padding(let p)? = layer["padding"] { padding = p }
        let (kernel, stride, dilation, extra) = (pair("kernel", 1), pair("stride", 1), pair("dilation", 1), pair("output_padding", 0))
        guard case .integer(let channels)? = layer["channels"] else { return [] }
        return [channels,
                TransposedConvolution.outputSide(input: input.height, kernel: kernel.height, stride: stride.height, dilation: dilation.height,
                                                 before: padding.top, after: padding.bottom, outputPadding: extra.height),
                TransposedConvolution.outputSide(input: input.width, kernel: kernel.width, stride: stride.width, dilation: dilation.width,
                                                 before: padding.left, after: padding.right, outputPadding: extra.width)]
    }

    // MARK: Pooling and normalisation

    private mutating func importPooling(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try tensor(node.input[0], of: node)
        guard x.dims.count == 3 else { throw ImportFailure("needs a 4-D input") }
        if node.output.count > 1, readers[node.output[1], default: 0] > 0 { throw ImportFailure("its indices output is used; cnnc's pools return values only") }
        let average = node.opType == "AveragePool"
        guard let kernelValues = attributes.ints("kernel_shape") else { throw ImportFailure("has no kernel_shape") }
        let kernel = try pair(kernelValues, default: 1, "kernel_shape")
        let stride = try pair(attributes.ints("strides"), default: 1, "strides")
        guard try pair(attributes.ints("dilations"), default: 1, "dilations") == Pair(square: 1) else {
            throw ImportFailure("has dilations; cnnc's pools take no dilation")
        }
        var padding = try windowPadding(attributes, input: x, kernel: kernel, stride: stride, dilation: Pair(square: 1))
        var ceilMode = attributes.int("ceil_mode") == 1
        var countIncludePad = attributes.int("count_include_pad") == 1
        // Output sides of a pool over an input of `height`×`width` (ONNX Runtime's rule, the spec's rule).
        func sides(_ height: Int, _ width: Int, _ p: Padding, _ ceil: Bool) -> (Int, Int)? {
            guard let h = windowOutputSize(input: height, extent: kernel.height, stride: stride.height, padBefore: p.top, padAfter: p.bottom, ceilMode: ceil),
                  let w = windowOutputSize(input: width, extent: kernel.width, stride: stride.width, padBefore: p.left, padAfter: p.right, ceilMode: ceil)
            else { return nil }
            return (h, w)
        }
        let pad = x.pendingPad?.padding ?? .zero
        guard let target = sides(x.height + pad.top + pad.bottom, x.width + pad.left + pad.right, padding, ceilMode) else {
            throw ImportFailure("its window does not fit the input")
        }
        if let pending = x.pendingPad {
            // A zero Pad counted in the average, then a pool that pads only at the end without counting
            // it: the spec's stated padding with count_include_pad, and the end padding is ceil mode's
            // overhang (how cnnc's exporter writes that case).
            guard average, pending.mode == .zeros || pending.mode == .constant(0), !countIncludePad, padding.top == 0, padding.left == 0 else {
                throw ImportFailure("pools the output of a Pad (\(pending.nodes.joined(separator: ", "))) in a way cnnc cannot express")
            }
            guard let mode = [false, true].first(where: { sides(x.height, x.width, pending.padding, $0).map { $0 == target } == true }) else {
                throw ImportFailure("pools a padded input with an overhang that ceil mode does not reproduce")
            }
            guard max(pending.padding.top, pending.padding.bottom) < kernel.height, max(pending.padding.left, pending.padding.right) < kernel.width else {
                throw ImportFailure("pools the output of a Pad (\(pending.nodes.joined(separator: ", "))) padded by \(pending.padding) with a \(kernel) kernel; cnnc needs each side smaller than the kernel")
            }
            padding = pending.padding
            countIncludePad = true
            ceilMode = mode
        } else if max(padding.top, padding.bottom) >= kernel.height || max(padding.left, padding.right) >= kernel.width {
            // cnnc keeps every pad side below the kernel; an exporter writing ceil mode as extra end
            // padding can exceed that: try ceil mode with less end padding and the same output.
            guard !average || !countIncludePad, padding.top < kernel.height, padding.left < kernel.width else {
                throw ImportFailure("pads by \(padding) with a \(kernel) kernel; cnnc needs each side smaller than the kernel")
            }
            var found: Padding?
            search: for bottom in (0...min(padding.bottom, kernel.height - 1)).reversed() {
                for right in (0...min(padding.right, kernel.width - 1)).reversed() {
                    let candidate = Padding(top: padding.top, bottom: bottom, left: padding.left, right: right)
                    if sides(x.height, x.width, candidate, true).map({ $0 == target }) == true { found = candidate; break search }
                }
            }
            guard let found else { throw ImportFailure("pads by \(padding) with a \(kernel) kernel; cnnc needs each side smaller than the kernel") }
            padding = found
            ceilMode = true
        }
        var layer = ImportedLayer(name: layerName(for: node), keyword: average ? "avgpool" : "maxpool", inputs: [x.layer],
                                  dims: [x.channels, target.0, target.1])
        layer["kernel"] = .pair(kernel.height, kernel.width)
        if stride != kernel { layer["stride"] = .pair(stride.height, stride.width) }
        if !padding.isZero { layer["padding"] = .padding(padding) }
        if ceilMode { layer["ceil_mode"] = .bool(true) }
        if average && !padding.isZero { layer["count_include_pad"] = .bool(countIncludePad) }
        try define(output, as: layer)
    }

    private mutating func importBatchNormalization(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try unpaddedTensor(node.input[0], of: node)
        if attributes.int("training_mode") == 1 || node.output.dropFirst().contains(where: { !$0.isEmpty && readers[$0, default: 0] > 0 }) {
            throw ImportFailure("runs in training mode; export the model in eval mode")
        }
        guard node.input.count == 5 else { throw ImportFailure("has \(node.input.count) inputs, expected 5") }
        let roles: [ParameterRole] = [.weight, .bias, .runningMean, .runningVar]
        var tensors: [(ParameterRole, [Int], [Float])] = []
        for (role, name) in zip(roles, node.input[1...]) {
            let (constant, values) = try weights(name, rank: 1, role.rawValue)
            guard constant.dims == [x.channels] else { throw ImportFailure("its \(role.rawValue) has \(constant.dims) values for \(x.channels) channels") }
            tensors.append((role, [x.channels], values))
        }
        let source = try constant(node.input[1])?.source
        var layer = ImportedLayer(name: layerName(for: node, weight: source), keyword: "batchnorm", inputs: [x.layer], dims: x.dims)
        let eps = attributes.float("epsilon") ?? 1e-5
        if eps != 1e-5 { layer["eps"] = .number(eps) }
        layer.tensors = tensors.map { (role: $0.0, shape: $0.1, values: $0.2) }
        try define(output, as: layer)
    }

    private mutating func importDropout(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try unpaddedTensor(node.input[0], of: node)
        if node.output.count > 1, readers[node.output[1], default: 0] > 0 { throw ImportFailure("its mask output is used") }
        if node.input.count > 2, let training = try constant(node.input[2])?.scalar, training != 0 {
            throw ImportFailure("runs in training mode; export the model in eval mode")
        }
        var layer = ImportedLayer(name: layerName(for: node), keyword: "dropout", inputs: [x.layer], dims: x.dims)
        var rate: Float = 0
        if node.opType == "Dropout" {
            rate = attributes.float("ratio") ?? 0.5
            if node.input.count > 1, !node.input[1].isEmpty, let given = try constant(node.input[1])?.scalar { rate = Float(given) }
        }
        if rate != 0 { layer["rate"] = .number(rate) }
        try define(output, as: layer)
    }

    // MARK: Shapes

    private mutating func importReshape(_ node: Onnx_NodeProto, _ output: String) throws(ImportFailure) {
        let x = try unpaddedTensor(node.input[0], of: node)
        guard let target = try constant(node.input[1])?.integers else {
            throw ImportFailure("reshapes to a shape computed at run time; cnnc needs a shape known when importing")
        }
        var dims = target.enumerated().map { axis, size in size == 0 ? ([batch] + x.dims)[safe: axis] ?? 0 : size }
        let count = x.dims.reduce(1, *)
        guard dims.first == batch || dims.first == -1 && batch != ONNXConstant.batch else {
            throw ImportFailure("reshapes to \(target.map { $0 == ONNXConstant.batch ? "N" : String($0) }); cnnc keeps the batch as the first axis")
        }
        dims[0] = 1
        if let unknown = dims.firstIndex(of: -1) {
            let known = dims.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else { throw ImportFailure("cannot reshape \(x.dims) to \(target)") }
            dims[unknown] = count / known
        }
        let shape = Array(dims.dropFirst())
        guard shape.reduce(1, *) == count else { throw ImportFailure("reshapes \(count) values to \(shape)") }
        if shape == [count] {
            // [N, C·H·W]: a flatten (or, of a flat tensor, nothing).
            if x.isFlat {
                values[output] = .tensor(Tensor(layer: x.layer, dims: shape))
            } else {
                try define(output, as: ImportedLayer(name: layerName(for: node), keyword: "flatten", inputs: [x.layer], dims: shape))
            }
        } else if shape == x.dims || (x.isFlat && shape == [count, 1, 1]) {
            values[output] = .tensor(Tensor(layer: x.layer, dims: shape))
        } else {
            throw ImportFailure("reshapes [N, \(x.dims.map(String.init).joined(separator: ", "))] to [N, \(shape.map(String.init).joined(separator: ", "))]; cnnc reshapes only by flattening")
        }
    }

    private mutating func importUnsqueeze(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try unpaddedTensor(node.input[0], of: node)
        var axes = attributes.ints("axes") ?? []
        if attributes.ints("axes") == nil, node.input.count > 1, let given = try constant(node.input[1])?.integers { axes = given }
        let rank = x.dims.count + 1
        let normalized = Set(axes.map { $0 < 0 ? $0 + rank + (node.opType == "Unsqueeze" ? axes.count : 0) : $0 })
        if node.opType == "Unsqueeze", x.dims.count == 1, normalized == [2, 3] {
            values[output] = .tensor(Tensor(layer: x.layer, dims: [x.channels, 1, 1]))
        } else if node.opType == "Squeeze", x.isFlat, x.dims.count == 3, normalized == [2, 3] || axes.isEmpty {
            values[output] = .tensor(Tensor(layer: x.layer, dims: [x.channels]))
        } else {
            throw ImportFailure("changes the rank of [N, \(x.dims.map(String.init).joined(separator: ", "))] along axes \(axes); cnnc's tensors are [N, C, H, W] or [N, F]")
        }
    }

    // MARK: Dense

    private mutating func importDense(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try unpaddedTensor(node.input[0], of: node)
        guard x.isFlat else {
            throw ImportFailure("multiplies a [N, \(x.dims.map(String.init).joined(separator: ", "))] tensor; cnnc's dense layer reads a flat one (add a Flatten)")
        }
        guard let b = try constant(node.input[1]), b.dims.count == 2, var matrix = b.float32 else {
            throw ImportFailure("its second operand is not a constant matrix (cnnc's dense layers embed their weights)")
        }
        let isGemm = node.opType == "Gemm"
        if isGemm, attributes.int("transA") == 1 { throw ImportFailure("has transA = 1") }
        let transposed = isGemm && attributes.int("transB") == 1
        // PyTorch's layout is [out, in]: Gemm with transB, or the transpose of MatMul's [in, out].
        let (inFeatures, outFeatures) = transposed ? (b.dims[1], b.dims[0]) : (b.dims[0], b.dims[1])
        guard inFeatures == x.channels else { throw ImportFailure("multiplies \(x.channels) features by a [\(b.dims[0]), \(b.dims[1])] matrix") }
        if !transposed {
            let source = matrix
            matrix = (0..<outFeatures * inFeatures).map { index in source[(index % inFeatures) * outFeatures + index / inFeatures] }
        }
        let alpha = isGemm ? attributes.float("alpha") ?? 1 : 1
        if alpha != 1 { matrix = matrix.map { $0 * alpha } }
        var bias: [Float]?
        if isGemm, node.input.count > 2, !node.input[2].isEmpty {
            guard let c = try constant(node.input[2]), let values = c.float32, values.count == outFeatures || values.count == 1 else {
                throw ImportFailure("its C operand is not a constant vector of \(outFeatures) values")
            }
            let beta = attributes.float("beta") ?? 1
            bias = (values.count == 1 ? [Float](repeating: values[0], count: outFeatures) : values).map { $0 * beta }
        }
        var layer = ImportedLayer(name: layerName(for: node, weight: b.source), keyword: "dense", inputs: [x.layer], dims: [outFeatures])
        layer["units"] = .integer(outFeatures)
        layer.tensors = [(.weight, [outFeatures, inFeatures], matrix)]
        if let bias { layer.tensors.append((.bias, [outFeatures], bias)) } else { layer["bias"] = .bool(false) }
        try define(output, as: layer)
    }

    // MARK: Softmax and resizing

    private mutating func importSoftmax(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        if case .transposed(let x, let permutation, let nodes) = try value(node.input[0]) {
            // Opset < 13 exporters move the channels last, take the softmax over the last axis and
            // move them back. Over the last axis alone, the old and new meanings of `axis` agree.
            var axis = attributes.int("axis") ?? (opset < 13 ? 1 : -1)
            if axis < 0 { axis += 4 }
            guard axis >= 0, axis < 4, axis == 3 || opset >= 13, permutation[axis] == 1 else {
                throw ImportFailure("runs over axis \(axis) of a tensor whose axes \(nodes.map { "'\($0)'" }.joined(separator: ", ")) reordered to \(permutation); cnnc's softmax runs over the channels")
            }
            let layer = ImportedLayer(name: layerName(for: node), keyword: "softmax", inputs: [x.layer], dims: x.dims)
            addLayer(layer)
            values[output] = .transposed(Tensor(layer: layer.name, dims: x.dims), permutation: permutation, nodes: nodes)
            return
        }
        let x = try unpaddedTensor(node.input[0], of: node)
        let rank = x.dims.count + 1
        var axis = attributes.int("axis") ?? (opset < 13 ? 1 : -1)
        if axis < 0 { axis += rank }
        let overChannels: Bool
        if opset < 13 {
            // Before opset 13 the axis means "flatten from here": over C·H·W, the channels only when H = W = 1.
            overChannels = axis == 1 && x.isFlat
        } else {
            overChannels = axis == 1 || (x.isFlat && axis == rank - 1 && rank == 2)
        }
        guard overChannels else {
            throw ImportFailure(opset < 13 && axis == 1
                ? "normalises over C·H·W (opset \(opset)'s Softmax flattens from its axis); cnnc's softmax runs over the channels at each position (if the model means the channels, export it at opset 13 or later)"
                : "runs over axis \(axis); cnnc's softmax runs over the channels (axis 1)")
        }
        try define(output, as: ImportedLayer(name: layerName(for: node), keyword: "softmax", inputs: [x.layer], dims: x.dims))
    }

    /// `Transpose`: pending until a Softmax has read it and a second Transpose restores the order.
    private mutating func importTranspose(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let (x, earlier, nodes): (Tensor, [Int], [String])
        if case .transposed(let tensor, let permutation, let names) = try value(node.input[0]) {
            (x, earlier, nodes) = (tensor, permutation, names)
        } else {
            let tensor = try unpaddedTensor(node.input[0], of: node)
            (x, earlier, nodes) = (tensor, Array(0...tensor.dims.count), [])
        }
        let rank = earlier.count
        let permutation = attributes.ints("perm") ?? Array((0..<rank).reversed())
        guard permutation.sorted() == Array(0..<rank) else { throw ImportFailure("has perm \(permutation) for a tensor of rank \(rank)") }
        let combined = permutation.map { earlier[$0] }
        if combined == Array(0..<rank) {
            values[output] = .tensor(x)
        } else if combined[0] != 0 {
            throw ImportFailure("moves the batch axis (perm \(permutation)); cnnc keeps the batch first")
        } else {
            values[output] = .transposed(x, permutation: combined, nodes: nodes + [node.name.isEmpty ? output : node.name])
        }
    }

    /// `ReduceMean` / `ReduceMax` over H and W: what `AdaptiveAvgPool2d(1)` and `x.mean((2, 3))`
    /// export as. Without `keepdims` the result is [N, C], a view of the same layer.
    private mutating func importPlaneReduction(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try unpaddedTensor(node.input[0], of: node)
        var axes = attributes.ints("axes")
        // Opset 18 moved `axes` from an attribute to an input (ReduceMean and ReduceMax alike).
        if axes == nil, node.input.count > 1, !node.input[1].isEmpty {
            guard let given = try constant(node.input[1])?.integers else { throw ImportFailure("reduces over axes known only at run time") }
            axes = given
        }
        let rank = x.dims.count + 1
        let normalized = Set((axes ?? []).map { $0 < 0 ? $0 + rank : $0 })
        guard rank == 4, normalized == [2, 3] else {
            let described = axes.map { "axes \($0)" } ?? ((attributes.int("noop_with_empty_axes") ?? 0) == 1 ? "no axes" : "every axis")
            throw ImportFailure("reduces [N, \(x.dims.map(String.init).joined(separator: ", "))] over \(described); cnnc reduces whole planes (axes [2, 3] of [N, C, H, W]), as global_avgpool and global_maxpool")
        }
        let layer = ImportedLayer(name: layerName(for: node), keyword: node.opType == "ReduceMean" ? "global_avgpool" : "global_maxpool",
                                  inputs: [x.layer], dims: [x.channels, 1, 1])
        try define(output, as: layer)
        if (attributes.int("keepdims") ?? 1) == 0 { values[output] = .tensor(Tensor(layer: layer.name, dims: [x.channels])) }
    }

    private mutating func importResize(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try unpaddedTensor(node.input[0], of: node)
        guard x.dims.count == 3 else { throw ImportFailure("needs a 4-D input") }
        var factors: [Double]?
        if node.opType == "Upsample" {
            factors = attributes.floats("scales")?.map(Double.init)
            if node.input.count > 1 { factors = try constant(node.input[1])?.floats }
        } else {
            let scalesInput = opset >= 11 ? 2 : 1
            if node.input.count > scalesInput, let scales = try constant(node.input[scalesInput])?.floats, !scales.isEmpty {
                factors = scales
            } else if node.input.count > 3, let sizes = try constant(node.input[3])?.integers, sizes.count == 4 {
                factors = [1, 1, Double(sizes[2]) / Double(x.height), Double(sizes[3]) / Double(x.width)]
            }
        }
        // At most the spec's largest integer, so that the upsampled side is an Int (inf and NaN fail too).
        let largest = Double(ValueDecoder.maximumInteger)
        guard let factors, factors.count == 4, factors[0] == 1, factors[1] == 1,
              factors[2] >= 1, factors[3] >= 1, factors[2] <= largest, factors[3] <= largest, factors[2] == factors[2].rounded(), factors[3] == factors[3].rounded() else {
            throw ImportFailure("resizes by \(factors.map { "\($0)" } ?? "a scale known only at run time"); cnnc upsamples H and W by whole factors known when importing")
        }
        let scale = Pair(Int(factors[2]), Int(factors[3]))
        let mode = attributes.string("mode") ?? "nearest"
        let coordinates = attributes.string("coordinate_transformation_mode") ?? (node.opType == "Upsample" ? "asymmetric" : "half_pixel")
        let upsampleMode: UpsampleMode
        switch (mode, coordinates) {
        case ("nearest", "asymmetric"):
            let rounding = attributes.string("nearest_mode") ?? (node.opType == "Upsample" ? "floor" : "round_prefer_floor")
            // With whole factors, x/scale has fractions 0 and ½ only for scale 2, where rounding half down is floor.
            guard rounding == "floor" || (rounding == "round_prefer_floor" && max(scale.height, scale.width) <= 2) else {
                throw ImportFailure("rounds nearest neighbours by '\(rounding)'; cnnc's nearest upsampling takes ⌊x / scale⌋ (PyTorch's)")
            }
            upsampleMode = .nearest
        case ("linear", "half_pixel"), ("linear", "pytorch_half_pixel"), ("bilinear", "half_pixel"):
            upsampleMode = .bilinear
        case ("linear", "align_corners"):
            throw ImportFailure("interpolates with align_corners=True; cnnc's bilinear upsampling is PyTorch's align_corners=False")
        default:
            throw ImportFailure("resizes with mode '\(mode)' and coordinate_transformation_mode '\(coordinates)'; cnnc upsamples by nearest (asymmetric, floor) or bilinear (half_pixel)")
        }
        if attributes.int("antialias") == 1 { throw ImportFailure("antialiases") }
        var layer = ImportedLayer(name: layerName(for: node), keyword: "upsample", inputs: [x.layer],
                                  dims: [x.channels, x.height * scale.height, x.width * scale.width])
        layer["scale"] = .pair(scale.height, scale.width)
        if upsampleMode == .bilinear { layer["mode"] = .word("bilinear") }
        try define(output, as: layer)
    }

    // MARK: Padding, slicing, joining

    private mutating func importPad(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        let x = try tensor(node.input[0], of: node)
        guard x.dims.count == 3 else { throw ImportFailure("pads a flat tensor") }
        var padsGiven = attributes.ints("pads")
        if padsGiven == nil, node.input.count > 1 { padsGiven = try constant(node.input[1])?.integers }
        guard let pads = padsGiven, pads.count == 8 else {
            throw ImportFailure("has pads known only at run time (or not for 4 axes)")
        }
        if node.input.count > 3, !node.input[3].isEmpty { throw ImportFailure("pads only some axes (the axes input); cnnc needs pads for all four") }
        guard pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0 else { throw ImportFailure("pads the batch or the channels") }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw ImportFailure("crops (negative pads)") }
        // Pads from a constant input are not clamped as attributes are; unbounded, their sums overflowed.
        guard pads.allSatisfy({ $0 <= ValueDecoder.maximumInteger }) else {
            throw ImportFailure("pads by \(pads); cnnc pads by at most \(ValueDecoder.maximumInteger.grouped)")
        }
        let padding = Padding(top: pads[2], bottom: pads[6], left: pads[3], right: pads[7])
        let modeName = attributes.string("mode") ?? "constant"
        var value = attributes.float("value") ?? 0
        if node.input.count > 2, !node.input[2].isEmpty, let given = try constant(node.input[2])?.scalar { value = Float(given) }
        let mode: PaddingMode
        switch modeName {
        case "constant": mode = value == 0 ? .zeros : .constant(value)
        case "reflect": mode = .reflect
        case "edge": mode = .replicate
        case "wrap": mode = .circular
        default: throw ImportFailure("pads with mode '\(modeName)'")
        }
        // Zeros at the end of a transposed convolution's output are its output_padding.
        if mode == .zeros, padding.top == 0, padding.left == 0, let index = soleProducer(of: node.input[0], x),
           layers[index].keyword == "conv_transpose", layers[index]["output_padding"] == nil {
            layers[index]["output_padding"] = .pair(padding.bottom, padding.right)
            try refreshTransposed(index, output: output)
            return
        }
        var tensor = x
        tensor.pendingPad = try merge(x.pendingPad, PendingPad(padding: padding, mode: mode, nodes: [node.name]))
        values[output] = .tensor(tensor)
    }

    private func merge(_ earlier: PendingPad?, _ later: PendingPad) throws(ImportFailure) -> PendingPad {
        guard let earlier else { return later }
        guard earlier.mode == later.mode else { throw ImportFailure("pads again with another mode; cnnc has one padding per layer") }
        let (a, b) = (earlier.padding, later.padding)
        return PendingPad(padding: Padding(top: a.top + b.top, bottom: a.bottom + b.bottom, left: a.left + b.left, right: a.right + b.right),
                          mode: later.mode, nodes: earlier.nodes + later.nodes)
    }

    /// A conv_transpose's options changed after it was imported: its output and the value it defines.
    private mutating func refreshTransposed(_ index: Int, output: String) throws(ImportFailure) {
        guard let source = layers[index].inputs.first, let input = tensorNamed(source) else { throw ImportFailure("lost its input") }
        layers[index].dims = transposedDims(layers[index], input: input)
        values[output] = .tensor(Tensor(layer: layers[index].name, dims: layers[index].dims))
    }

    /// Gives a layer the name of the node that completed it (its readers so far are none).
    mutating func renameLayer(_ index: Int, to name: String) {
        layerIndex[layers[index].name] = nil
        layers[index].name = name
        layerIndex[name] = index
    }

    /// The tensor of the network input or of an imported layer, by name.
    func tensorNamed(_ name: String) -> Tensor? {
        if name == NetworkSpec.inputName { return Tensor(layer: name, dims: inputDims.count == 3 && inputDims[1] * inputDims[2] == 1 ? [inputDims[0]] : inputDims) }
        return layerIndex[name].map { Tensor(layer: name, dims: layers[$0].dims) }
    }

    private mutating func importSlice(_ node: Onnx_NodeProto, _ output: String) throws(ImportFailure) {
        let x = try tensor(node.input[0], of: node)
        guard node.input.count >= 3, let starts = try constant(node.input[1])?.integers, let ends = try constant(node.input[2])?.integers else {
            throw ImportFailure("slices with bounds known only at run time")
        }
        var axes = Array(0..<starts.count), steps = [Int](repeating: 1, count: starts.count)
        if node.input.count > 3, !node.input[3].isEmpty { axes = try constant(node.input[3])?.integers ?? [] }
        if node.input.count > 4, !node.input[4].isEmpty { steps = try constant(node.input[4])?.integers ?? [] }
        guard x.dims.count == 3, steps.allSatisfy({ $0 == 1 }), axes.count == starts.count, ends.count == starts.count else {
            throw ImportFailure("slices in a way cnnc cannot express")
        }
        var rows = (0, x.height), columns = (0, x.width)
        for (axis, (start, end)) in zip(axes.map { $0 < 0 ? $0 + 4 : $0 }, zip(starts, ends)) {
            let size = axis == 2 ? x.height : axis == 3 ? x.width : 0
            guard axis == 2 || axis == 3 else { throw ImportFailure("slices axis \(axis); cnnc slices only as padding patterns along H and W") }
            let lower = min(max(start < 0 ? start + size : start, 0), size)
            let upper = min(max(end < 0 ? end + size : end, 0), size)
            guard lower < upper else { throw ImportFailure("slices axis \(axis) to nothing (from \(start) to \(end) of \(size))") }
            if axis == 2 { rows = (lower, upper) } else { columns = (lower, upper) }
        }
        // A crop of a transposed convolution's output is its padding.
        if let index = soleProducer(of: node.input[0], x), layers[index].keyword == "conv_transpose" {
            var padding = Padding.zero
            if case .padding(let p)? = layers[index]["padding"] { padding = p }
            padding.top += rows.0
            padding.bottom += x.height - rows.1
            padding.left += columns.0
            padding.right += x.width - columns.1
            layers[index]["padding"] = padding.isZero ? nil : .padding(padding)
            try refreshTransposed(index, output: output)
            return
        }
        // Otherwise a part of circular padding (Slice + Concat), for the Concat to recognise.
        let slicedAxes = Set(axes.map { $0 < 0 ? $0 + 4 : $0 })
        guard slicedAxes.count == 1, let axis = slicedAxes.first else { throw ImportFailure("slices both H and W") }
        slices[output] = SliceOf(tensor: x, axis: axis, range: axis == 2 ? rows.0..<rows.1 : columns.0..<columns.1, node: node.name)
        values[output] = .tensor(x)  // read only by the Concat that completes the pattern
    }

    private mutating func importConcat(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        var axis = attributes.int("axis") ?? 1
        let names = node.input.filter { !$0.isEmpty }
        if let first = names.first, case .tensor(let x)? = values[first], axis < 0 { axis += x.dims.count + 1 }
        if axis == 2 || axis == 3, let pad = try circularPad(names, axis: axis) {
            values[output] = .tensor(pad)
            return
        }
        guard axis == 1 else { throw ImportFailure("joins along axis \(axis); cnnc's concat joins channels (axis 1)") }
        var tensors: [Tensor] = []
        for name in names { tensors.append(try unpaddedTensor(name, of: node)) }
        guard tensors.allSatisfy({ $0.height == tensors[0].height && $0.width == tensors[0].width }) else {
            throw ImportFailure("joins tensors of different heights or widths")
        }
        let channels = tensors.reduce(0) { $0 + $1.channels }
        let dims = tensors[0].dims.count == 1 ? [channels] : [channels, tensors[0].height, tensors[0].width]
        try define(output, as: ImportedLayer(name: layerName(for: node), keyword: "concat", inputs: tensors.map(\.layer), dims: dims))
    }

    /// `Concat(Slice(x, n−b…n), x, Slice(x, 0…a))` along H or W: circular padding of x by b before and a after.
    private func circularPad(_ names: [String], axis: Int) throws(ImportFailure) -> Tensor? {
        guard let middle = names.firstIndex(where: { slices[$0] == nil }), case .tensor(let x)? = values[names[middle]] else { return nil }
        let size = axis == 2 ? x.height : x.width
        var before = 0, after = 0
        var nodes: [String] = []
        for (position, name) in names.enumerated() where position != middle {
            guard let slice = slices[name], slice.tensor.layer == x.layer, slice.axis == axis else { return nil }
            if position == middle - 1, slice.range.upperBound == size { before = slice.range.count }
            else if position == middle + 1, slice.range.lowerBound == 0 { after = slice.range.count }
            else { return nil }
            nodes.append(slice.node)
        }
        guard names.count == 1 + (before > 0 ? 1 : 0) + (after > 0 ? 1 : 0), before + after > 0 else { return nil }
        let padding = axis == 2 ? Padding(top: before, bottom: after, left: 0, right: 0) : Padding(top: 0, bottom: 0, left: before, right: after)
        var padded = x
        padded.pendingPad = try merge(x.pendingPad, PendingPad(padding: padding, mode: .circular, nodes: nodes))
        return padded
    }

    // MARK: Element-wise

    private mutating func importUnary(_ node: Onnx_NodeProto, _ attributes: ONNXAttributes, _ output: String) throws(ImportFailure) {
        var base: Tensor?
        guard let (inner, nodes) = try operand(node.input[0], base: &base), let base else {
            throw ImportFailure("applies an activation to a constant")
        }
        if base.pendingPad != nil { _ = try unpaddedTensor(node.input[0], of: node) }
        let function: Expression.UnaryFunction
        switch node.opType {
        case "Relu": function = .relu
        case "Sigmoid": function = .sigmoid
        case "Tanh": function = .tanh
        case "Erf": function = .erf
        case "Exp": function = .exp
        case "Neg": function = .negate
        case "LeakyRelu": function = .leakyReLU(alpha: Double(attributes.float("alpha") ?? 0.01))
        case "Elu": function = .elu(alpha: Double(attributes.float("alpha") ?? 1))
        case "Gelu":
            guard (attributes.string("approximate") ?? "none") == "none" else {
                throw ImportFailure("is the tanh approximation of gelu; cnnc's gelu is the exact form x·Φ(x)")
            }
            function = .gelu
        default:  // Clip
            var low = attributes.float("min").map(Double.init), high = attributes.float("max").map(Double.init)
            if node.input.count > 1, !node.input[1].isEmpty { low = try constant(node.input[1])?.scalar }
            if node.input.count > 2, !node.input[2].isEmpty { high = try constant(node.input[2])?.scalar }
            function = .clip(low: low ?? -.infinity, high: high ?? .infinity)
        }
        values[output] = .expression(.unary(function, inner, node: node.name), base: base, nodes: nodes + [node])
    }

    private mutating func importBinary(_ node: Onnx_NodeProto, _ output: String) throws(ImportFailure) {
        let op: Expression.BinaryOperator = switch node.opType {
        case "Add": .add
        case "Sub": .subtract
        case "Mul": .multiply
        case "Div": .divide
        case "Max": .maximum
        default: .minimum
        }
        // A per-channel constant added to a layer without bias that nothing else reads is its bias
        // (tried first: with one channel the bias is also a scalar).
        if op == .add {
            for (tensorInput, constantInput) in [(node.input[0], node.input[1]), (node.input[1], node.input[0])] {
                guard let bias = try constant(constantInput), case .tensor(let x)? = values[tensorInput], let values = bias.float32,
                      values.count == x.channels, let index = soleProducer(of: tensorInput, x),
                      ["conv", "conv_transpose", "dense"].contains(layers[index].keyword),
                      !layers[index].tensors.contains(where: { $0.role == .bias }) else { continue }
                try foldBias(node, bias, tensorInput: tensorInput, output: output)
                return
            }
        }
        // Arithmetic on one tensor (and scalars) is an expression, recognised when something reads it
        // — except x + x and x · x: that is how an `add` or `mul` reading one tensor twice exports,
        // and no activation is spelled that way.
        let twice = (op == .add || op == .multiply) && node.input[0] == node.input[1]
        var base: Tensor?
        if !twice, let (a, aNodes) = try operand(node.input[0], base: &base), let (b, bNodes) = try operand(node.input[1], base: &base), let base {
            if base.pendingPad != nil { _ = try unpaddedTensor(node.input[0], of: node) }
            values[output] = .expression(.binary(op, a, b, node: node.name), base: base, nodes: aNodes + bNodes + [node])
            return
        }
        let constants = try (constant(node.input[0]), constant(node.input[1]))
        if op == .add, let bias = constants.1 ?? constants.0 {
            try foldBias(node, bias, tensorInput: constants.1 == nil ? node.input[1] : node.input[0], output: output)
            return
        }
        guard constants.0 == nil && constants.1 == nil, op == .add || op == .multiply else {
            throw ImportFailure("\(node.opType == "Mul" ? "scales" : "combines") a tensor with a constant tensor; cnnc has no such layer (a per-channel scale is a batchnorm)")
        }
        let a = try unpaddedTensor(node.input[0], of: node), b = try unpaddedTensor(node.input[1], of: node)
        if op == .add {
            guard a.dims.reduce(1, *) == b.dims.reduce(1, *), a.channels == b.channels else {
                throw ImportFailure("adds [N, \(a.dims.map(String.init).joined(separator: ", "))] and [N, \(b.dims.map(String.init).joined(separator: ", "))]; cnnc adds tensors of one shape")
            }
            // ((a + b) + c): one add of three inputs, as cnnc sums them in order — when c is written
            // before that add (an expression read here for the first time is written only now).
            if let index = soleProducer(of: node.input[0], a), layers[index].keyword == "add",
               b.layer == NetworkSpec.inputName || layerIndex[b.layer].map({ $0 < index }) == true {
                layers[index].inputs.append(b.layer)
                renameLayer(index, to: layerName(for: node))
                values[output] = .tensor(Tensor(layer: layers[index].name, dims: layers[index].dims))
                return
            }
            try define(output, as: ImportedLayer(name: layerName(for: node), keyword: "add", inputs: [a.layer, b.layer], dims: a.dims.count >= b.dims.count ? a.dims : b.dims))
        } else {
            let same = a.dims.reduce(1, *) == b.dims.reduce(1, *) && a.channels == b.channels
            guard same || (a.channels == b.channels && (a.isFlat || b.isFlat)) else {
                throw ImportFailure("multiplies [N, \(a.dims.map(String.init).joined(separator: ", "))] by [N, \(b.dims.map(String.init).joined(separator: ", "))]; cnnc multiplies tensors of one shape, or scales channels by a C×1×1 gate")
            }
            try define(output, as: ImportedLayer(name: layerName(for: node), keyword: "mul", inputs: [a.layer, b.layer], dims: a.isFlat && !b.isFlat ? b.dims : a.dims))
        }
    }

    /// `Add(conv, per-channel constant)` after a layer without bias is that layer's bias (MatMul + Add
    /// is a dense layer; the exporter's spelled-out transposed convolution adds its bias last).
    private mutating func foldBias(_ node: Onnx_NodeProto, _ bias: ONNXConstant, tensorInput: String, output: String) throws(ImportFailure) {
        let x = try unpaddedTensor(tensorInput, of: node)
        guard let values = bias.float32, values.count == x.channels, bias.dims.filter({ $0 != 1 }).count <= 1 else {
            throw ImportFailure("adds a constant of shape \(bias.dims) to [N, \(x.dims.map(String.init).joined(separator: ", "))]; cnnc folds only a per-channel bias into the layer before")
        }
        guard let index = soleProducer(of: tensorInput, x), ["conv", "conv_transpose", "dense"].contains(layers[index].keyword),
              !layers[index].tensors.contains(where: { $0.role == .bias }) else {
            throw ImportFailure("adds a per-channel constant that cnnc can fold only into a conv, conv_transpose or dense layer without bias that nothing else reads")
        }
        layers[index].tensors.append((.bias, [x.channels], values))
        layers[index]["bias"] = nil
        self.values[output] = .tensor(x)
    }
}

extension ONNXImporter {
    /// Part of circular padding: a slice of `tensor` along `axis`.
    struct SliceOf {
        var tensor: Tensor
        var axis: Int
        var range: Range<Int>
        var node: String
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

extension ImportedLayer {
    /// The options a conv and a conv_transpose write first, in the spec's usual order; defaults left out.
    mutating func setWindow(channels: Int, kernel: Pair, stride: Pair, padding: Padding) {
        self["channels"] = .integer(channels)
        self["kernel"] = .pair(kernel.height, kernel.width)
        if stride != Pair(square: 1) { self["stride"] = .pair(stride.height, stride.width) }
        if !padding.isZero { self["padding"] = .padding(padding) }
    }

    /// The options they write last, and their tensors: `bias: false` when there is no bias.
    mutating func setGroupsAndTensors(dilation: Pair, groups: Int, weight: (dims: [Int], values: [Float]), bias: [Float]?, channels: Int) {
        if dilation != Pair(square: 1) { self["dilation"] = .pair(dilation.height, dilation.width) }
        if groups != 1 { self["groups"] = .integer(groups) }
        tensors = [(.weight, weight.dims, weight.values)]
        if let bias { tensors.append((.bias, [channels], bias)) } else { self["bias"] = .bool(false) }
    }
}

