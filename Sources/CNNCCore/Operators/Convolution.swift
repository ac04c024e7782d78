import CNNCRuntime

/// `conv`: `out[o, y, x] = bias[o] + Σ_{c in o's group, ky, kx} w[o, c, ky, kx] · in[c, y·s − p + ky·d, x·s − p + kx·d]`,
/// padding filled by the padding mode.
public struct Convolution: Hashable, Sendable {
    public var window: Window
    public var inChannels: Int
    public var outChannels: Int
    public var groups: Int
    public var paddingMode: PaddingMode
    public var hasBias: Bool

    public var inChannelsPerGroup: Int { inChannels / groups }
    public var outChannelsPerGroup: Int { outChannels / groups }
    public var isDepthwise: Bool { groups == inChannels && groups > 1 }

    // MARK: Shape rule

    static func check(_ spec: ConvSpec, _ context: inout ShapeContext) -> (Convolution, FeatureShape)? {
        let input = context.input
        context.checkExpectedChannels(spec.inChannels, what: "channel")
        context.checkGroups(spec.groups, outChannels: spec.outChannels.value)
        guard let (window, sides) = context.resolveWindow(kernel: spec.kernel, stride: spec.stride.value, dilation: spec.dilation.value,
                                                          padding: spec.padding, ceilMode: false) else {
            return nil
        }
        checkPaddingMode(spec.paddingMode, padding: window.padding, &context)
        let groups = spec.groups.value
        let outChannels = spec.outChannels.value
        guard let taps = ShapeLimits.product(max(1, input.channels / groups), window.kernel.height, window.kernel.width),
              ShapeLimits.product(outChannels, taps) != nil else {
            context.error("'\(context.name)' would have more than \(ShapeLimits.maximumElements.grouped) weights", at: context.layer.location)
            return nil
        }
        guard let output = context.checkedOutput(FeatureShape(channels: outChannels, height: sides.height, width: sides.width)),
              context.checkMACs(output.count, taps) else {
            return nil
        }
        let convolution = Convolution(window: window, inChannels: input.channels, outChannels: outChannels, groups: groups,
                                      paddingMode: spec.paddingMode.value, hasBias: spec.bias.enabled)
        return (convolution, output)
    }

    /// Reflect padding needs pad < side, circular pad ≤ side, per side and axis.
    private static func checkPaddingMode(_ mode: Located<PaddingMode>, padding: Padding, _ context: inout ShapeContext) {
        let limitDescription: String
        let fits: (Int, Int) -> Bool
        switch mode.value {
        case .reflect:
            limitDescription = "smaller than"
            fits = { pad, side in pad < side }
        case .circular:
            limitDescription = "at most"
            fits = { pad, side in pad <= side }
        case .zeros, .constant, .replicate:
            return
        }
        let input = context.input
        var problems: [String] = []
        for (sideName, pad, side, axis) in [("top", padding.top, input.height, "height"), ("bottom", padding.bottom, input.height, "height"),
                                            ("left", padding.left, input.width, "width"), ("right", padding.right, input.width, "width")]
        where !fits(pad, side) {
            problems.append("\(sideName) padding \(pad) vs input \(axis) \(side)")
        }
        guard !problems.isEmpty else { return }
        context.error("'\(context.name)' uses \(mode.value.keyword) padding, which must be \(limitDescription) the input side: \(problems.joined(separator: ", "))",
                      at: context.layer.location, notes: [context.producer])
    }
}

extension Convolution: OperatorRules {
    public var keyword: String { "conv" }

    private var taps: Int { inChannelsPerGroup * window.kernel.height * window.kernel.width }

    public func parameters(of layer: CheckedLayer) -> [ParameterShape] {
        let weight = ParameterShape(.weight, [outChannels, inChannelsPerGroup, window.kernel.height, window.kernel.width], .heNormal(fanIn: taps))
        return hasBias ? [weight, ParameterShape(.bias, [outChannels], .zeros)] : [weight]
    }

    /// `Ho·Wo·Cout·(Cin/groups)·kh·kw`.
    public func macs(of layer: CheckedLayer) -> Int { layer.output.count * taps }

    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField {
        inputs[0].through(window)
    }

    public var summaryDescription: String {
        var parts = ["conv \(window.kernel.height)×\(window.kernel.width)"] + window.summaryOptions(defaultStride: Pair(square: 1))
        switch paddingMode {
        case .zeros: break
        case .constant(let value): parts.append("pad value \(value)")
        case .reflect, .replicate, .circular: parts.append(paddingMode.keyword)
        }
        if groups > 1 { parts.append(isDepthwise ? "depthwise" : "groups \(groups)") }
        if !hasBias { parts.append("no bias") }
        return parts.joined(separator: ", ")
    }

    public var jsonOptions: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = [("in_channels", .integer(inChannels)), ("out_channels", .integer(outChannels))]
        members += OptionsJSON.window(window)
        members.append(("padding_mode", .string(paddingMode.keyword)))
        if case .constant(let value) = paddingMode { members.append(("padding_value", .float(value))) }
        members += [("groups", .integer(groups)), ("bias", .bool(hasBias))]
        return members
    }
}
