import CNNCRuntime

/// `conv_transpose` (PyTorch's `ConvTranspose2d`, ONNX `ConvTranspose`): every input pixel `(c, i, j)`
/// adds `w[c, o', ky, kx] · in[c, i, j]` to output `(o, i·s − pad_top + ky·d, j·s − pad_left + kx·d)`,
/// where `o` runs over the output channels of `c`'s group. Padding crops the output;
/// `output_padding` adds rows and columns at the bottom and right. Side:
/// `(in − 1)·stride − pad_before − pad_after + dilation·(kernel − 1) + output_padding + 1`.
public struct TransposedConvolution: Hashable, Sendable {
    public var inChannels: Int
    public var outChannels: Int
    public var groups: Int
    public var kernel: Pair
    public var stride: Pair
    public var dilation: Pair
    /// Rows and columns cropped from each side of the full output.
    public var padding: Padding
    public var outputPadding: Pair
    public var hasBias: Bool

    public var inChannelsPerGroup: Int { inChannels / groups }
    public var outChannelsPerGroup: Int { outChannels / groups }

    /// Output side along one axis.
    static func outputSide(input: Int, kernel: Int, stride: Int, dilation: Int, before: Int, after: Int, outputPadding: Int) -> Int {
        (input - 1) * stride - before - after + dilation * (kernel - 1) + outputPadding + 1
    }

    // MARK: Shape rule

    static func check(_ spec: ConvTransposeSpec, _ context: inout ShapeContext) -> (TransposedConvolution, FeatureShape)? {
        let input = context.input
        let name = context.name
        context.checkExpectedChannels(spec.inChannels, what: "channel")
        context.checkGroups(spec.groups, outChannels: spec.outChannels.value)
        let kernel = spec.kernel.value, stride = spec.stride.value, dilation = spec.dilation.value
        let outputPadding = spec.outputPadding.value, padding = spec.padding.value
        // PyTorch's rule: each output padding smaller than the stride or the dilation of its axis.
        for (axis, extra, s, d) in [("height", outputPadding.height, stride.height, dilation.height),
                                    ("width", outputPadding.width, stride.width, dilation.width)]
        where extra >= max(s, d) {
            let bound = d > 1 ? "its stride (\(s)) or its dilation (\(d))" : "its stride (\(s))"
            let value = outputPadding.height == outputPadding.width ? "\(extra)" : "\(extra) in \(axis)"
            context.error("'\(name)' has output_padding: \(value), which must be smaller than \(bound)",
                          at: spec.outputPadding.location)
            return nil
        }
        // Big numbers are caught by the size checks below; this only keeps the arithmetic within Int.
        guard ShapeLimits.product(input.height, stride.height) != nil, ShapeLimits.product(input.width, stride.width) != nil,
              ShapeLimits.product(kernel.height, dilation.height) != nil, ShapeLimits.product(kernel.width, dilation.width) != nil else {
            context.error("'\(name)' would produce more than \(ShapeLimits.maximumElements.grouped) elements", at: context.layer.location,
                          notes: [context.producer])
            return nil
        }
        let height = outputSide(input: input.height, kernel: kernel.height, stride: stride.height, dilation: dilation.height,
                                before: padding.top, after: padding.bottom, outputPadding: outputPadding.height)
        let width = outputSide(input: input.width, kernel: kernel.width, stride: stride.width, dilation: dilation.width,
                               before: padding.left, after: padding.right, outputPadding: outputPadding.width)
        guard height > 0, width > 0 else {
            func formula(_ axis: String, _ input: Int, _ stride: Int, _ pads: Int, _ dilation: Int, _ kernel: Int, _ extra: Int, _ side: Int) -> String {
                "\(axis) (\(input) − 1)·\(stride) − \(pads) + \(dilation)·(\(kernel) − 1) + \(extra) + 1 = \(side.signed)"
            }
            let vertical = formula("height", input.height, stride.height, padding.top + padding.bottom, dilation.height, kernel.height,
                                   outputPadding.height, height)
            let horizontal = formula("width", input.width, stride.width, padding.left + padding.right, dilation.width, kernel.width,
                                     outputPadding.width, width)
            var sides: [String] = []
            if vertical.dropFirst(6) == horizontal.dropFirst(5) {
                sides.append("height and width" + horizontal.dropFirst(5))
            } else {
                if height <= 0 { sides.append(vertical) }
                if width <= 0 { sides.append(horizontal) }
            }
            context.error("'\(name)' would have an empty output: \(sides.joined(separator: "; ")); reduce the padding",
                          at: spec.padding.location, notes: [context.producer])
            return nil
        }
        let groups = spec.groups.value
        let outChannels = spec.outChannels.value
        guard let taps = ShapeLimits.product(max(1, input.channels / groups), kernel.height, kernel.width),
              ShapeLimits.product(outChannels, taps) != nil else {
            context.error("'\(name)' would have more than \(ShapeLimits.maximumElements.grouped) weights", at: context.layer.location)
            return nil
        }
        guard let output = context.checkedOutput(FeatureShape(channels: outChannels, height: height, width: width)),
              context.checkMACs(input.height * input.width, outChannels, taps) else {
            return nil
        }
        let operation = TransposedConvolution(inChannels: input.channels, outChannels: outChannels, groups: groups, kernel: kernel,
                                              stride: stride, dilation: dilation, padding: padding, outputPadding: outputPadding,
                                              hasBias: spec.bias.enabled)
        return (operation, output)
    }
}

extension Int {
    /// `−3` with a true minus sign, as in the formulas of messages.
    var signed: String { self < 0 ? "−\(-self)" : "\(self)" }
}

extension TransposedConvolution: OperatorRules {
    public var keyword: String { "conv_transpose" }

    public func parameters(of layer: CheckedLayer) -> [ParameterShape] {
        // He-normal over the terms one output actually sums: (in/groups)·kh·kw spread over stride² phases.
        let fanIn = max(1, inChannelsPerGroup * kernel.height * kernel.width / (stride.height * stride.width))
        let weight = ParameterShape(.weight, [inChannels, outChannelsPerGroup, kernel.height, kernel.width], .heNormal(fanIn: fanIn))
        return hasBias ? [weight, ParameterShape(.bias, [outChannels], .zeros)] : [weight]
    }

    /// Input pixels × Cout × (Cin/groups) × kh × kw: every input value meets every tap of its group once.
    public func macs(of layer: CheckedLayer) -> Int {
        layer.input.height * layer.input.width * outChannels * inChannelsPerGroup * kernel.height * kernel.width
    }

    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField {
        inputs[0].mapAxes { axis, isHeight throws(AxisField.Failure) in
            isHeight
                ? try axis.transposed(kernel: kernel.height, stride: stride.height, dilation: dilation.height, padBefore: padding.top)
                : try axis.transposed(kernel: kernel.width, stride: stride.width, dilation: dilation.width, padBefore: padding.left)
        }
    }

    public var summaryDescription: String {
        var parts = ["conv_transpose \(kernel.height)×\(kernel.width)"]
        if stride != Pair(square: 1) { parts.append("stride \(stride)") }
        if !padding.isZero { parts.append("crop \(padding)") }
        if outputPadding != Pair(square: 0) { parts.append("output pad \(outputPadding)") }
        if dilation != Pair(square: 1) { parts.append("dilation \(dilation)") }
        if groups > 1 { parts.append("groups \(groups)") }
        if !hasBias { parts.append("no bias") }
        return parts.joined(separator: ", ")
    }

    public var jsonOptions: [(String, JSONValue)] {
        [("in_channels", .integer(inChannels)), ("out_channels", .integer(outChannels)),
         ("kernel", OptionsJSON.pair(kernel)), ("stride", OptionsJSON.pair(stride)), ("dilation", OptionsJSON.pair(dilation)),
         ("padding", OptionsJSON.padding(padding)), ("output_padding", OptionsJSON.pair(outputPadding)),
         ("groups", .integer(groups)), ("bias", .bool(hasBias))]
    }
}
