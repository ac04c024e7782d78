import CNNCRuntime

/// Infers every layer's shape from the input forward, resolving `same` padding and defaults, and
/// reports every shape error with the numbers involved.
public struct ShapeChecker {
    public struct Result: Sendable {
        public var network: CheckedNetwork?
        public var diagnostics: Diagnostics
    }

    /// The largest activation tensor (elements) the checker accepts; far beyond any useful network, but
    /// keeps every later product of shapes within Int.
    public static let maximumElements = 1 << 40
    /// The most multiply-accumulates one layer may need, so network totals stay within Int.
    public static let maximumLayerMACs = 1 << 45

    public static func check(_ spec: NetworkSpec) -> Result {
        var checker = ShapeChecker(spec: spec)
        let network = checker.run()
        return Result(network: checker.diagnostics.hasErrors ? nil : network, diagnostics: checker.diagnostics)
    }

    let spec: NetworkSpec
    var diagnostics = Diagnostics()

    /// Where the current input comes from, for notes.
    private var producer: Diagnostic.Note = .init("", at: nil)
    /// The same as the subject of a sentence: "the input has" or "'pool1' produces".
    private var producerName = "the input has"

    private init(spec: NetworkSpec) {
        self.spec = spec
    }

    private mutating func run() -> CheckedNetwork? {
        let input = FeatureShape(channels: spec.input.channels.value, height: spec.input.height.value,
                                 width: spec.input.width.value)
        guard elementCount(input) != nil else {
            diagnostics.error("the input \(input) has more than \(Self.maximumElements.grouped) elements", at: spec.input.location)
            return nil
        }
        producer = .init("the input is \(input)", at: spec.input.location)
        var layers: [CheckedLayer] = []
        var current = input
        for (index, layer) in spec.layers.enumerated() {
            guard let (operation, output) = check(layer, input: current) else {
                // Later shapes are unknown; their own errors would only echo this one.
                return nil
            }
            guard elementCount(output) != nil else {
                diagnostics.error("'\(layer.name)' would produce \(output), more than \(Self.maximumElements.grouped) elements",
                                  at: layer.location, notes: [producer])
                return nil
            }
            layers.append(CheckedLayer(index: index, spec: layer, operation: operation, input: current, output: output))
            producer = .init("'\(layer.name)' produces \(output) here", at: layer.location)
            producerName = "'\(layer.name)' produces"
            current = output
        }
        checkLabels(output: current)
        return CheckedNetwork(spec: spec, input: input, layers: layers)
    }

    private func elementCount(_ shape: FeatureShape) -> Int? {
        checkedProduct(shape.channels, shape.height, shape.width)
    }

    /// The product, or nil when it overflows or exceeds `maximumElements`.
    private func checkedProduct(_ factors: Int...) -> Int? {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: factor)
            guard !overflow, next <= Self.maximumElements else { return nil }
            product = next
        }
        return product
    }

    private mutating func checkLabels(output: FeatureShape) {
        guard let labels = spec.labels else { return }
        let count = output.channels
        guard labels.value.count != count else { return }
        diagnostics.error("'labels' has \(labels.value.count) entr\(labels.value.count == 1 ? "y" : "ies"), but the network produces \(count) class\(count == 1 ? "" : "es") (\(output))",
                          at: labels.location, notes: [producer])
    }

    // MARK: One layer

    private mutating func check(_ layer: LayerSpec, input: FeatureShape) -> (Operation, FeatureShape)? {
        switch layer.kind {
        case .conv(let conv):
            return checkConv(conv, layer, input: input)
        case .maxPool(let pool):
            return checkPool(pool, layer, input: input).map { (.maxPool($0.window), $0.output) }
        case .avgPool(let pool):
            guard let (window, output) = checkPool(pool, layer, input: input) else { return nil }
            var countIncludePad = false
            if let explicit = pool.countIncludePad {
                countIncludePad = explicit.value
            } else if !window.padding.isZero {
                let origin = pool.padding.value == .same ? " (padding: same on its \(input.height)×\(input.width) input)" : ""
                diagnostics.error(
                    "'\(layer.name)' pads by \(window.padding)\(origin); state count_include_pad: true or false, because frameworks disagree on whether padding counts in the average",
                    at: layer.location, notes: pool.padding.value == .same ? [producer] : [])
            }
            return (.avgPool(window, countIncludePad: countIncludePad), output)
        case .globalAvgPool:
            return (.globalAvgPool, FeatureShape(channels: input.channels, height: 1, width: 1))
        case .globalMaxPool:
            return (.globalMaxPool, FeatureShape(channels: input.channels, height: 1, width: 1))
        case .activation(let activation):
            return (.activation(activation), input)
        case .batchNorm(let batchNorm):
            return (.batchNorm(eps: batchNorm.eps), input)
        case .dropout(let rate):
            return (.dropout(rate: rate), input)
        case .flatten:
            return (.flatten, FeatureShape(channels: input.count, height: 1, width: 1))
        case .dense(let dense):
            return checkDense(dense, layer, input: input)
        }
    }

    private mutating func checkConv(_ conv: ConvSpec, _ layer: LayerSpec, input: FeatureShape) -> (Operation, FeatureShape)? {
        let name = layer.name
        if let explicit = conv.inChannels, explicit.value != input.channels {
            diagnostics.error("'\(name)' expects \(explicit.value) input channel\(explicit.value == 1 ? "" : "s"), but \(producerName) \(input.channels)",
                              at: explicit.location, notes: [producer])
        }
        let groups = conv.groups.value
        let outChannels = conv.outChannels.value
        if input.channels % groups != 0 || outChannels % groups != 0 {
            var parts: [String] = []
            if input.channels % groups != 0 { parts.append("the \(input.channels.grouped) input channels") }
            if outChannels % groups != 0 { parts.append("the \(outChannels.grouped) output channels") }
            diagnostics.error("'\(name)' has groups: \(groups.grouped), which does not divide \(parts.joined(separator: " or "))",
                              at: conv.groups.location, notes: input.channels % groups != 0 ? [producer] : [])
        }
        guard let (window, output) = resolveWindow(kernel: conv.kernel, stride: conv.stride.value, dilation: conv.dilation.value,
                                                   padding: conv.padding, ceilMode: false, layer: layer, input: input) else {
            return nil
        }
        checkPaddingMode(conv.paddingMode, padding: window.padding, layer: layer, input: input)
        guard let taps = checkedProduct(max(1, input.channels / groups), window.kernel.height, window.kernel.width),
              checkedProduct(outChannels, taps) != nil else {
            diagnostics.error("'\(name)' would have more than \(Self.maximumElements.grouped) weights", at: layer.location)
            return nil
        }
        let outputShape = FeatureShape(channels: outChannels, height: output.height, width: output.width)
        guard let outputCount = elementCount(outputShape) else {
            diagnostics.error("'\(name)' would produce \(outputShape), more than \(Self.maximumElements.grouped) elements",
                              at: layer.location, notes: [producer])
            return nil
        }
        let (macs, macOverflow) = outputCount.multipliedReportingOverflow(by: taps)
        if macOverflow || macs > Self.maximumLayerMACs {
            diagnostics.error("'\(name)' would need more than \(Self.maximumLayerMACs.grouped) multiply-accumulates", at: layer.location)
            return nil
        }
        let convolution = Convolution(window: window, inChannels: input.channels, outChannels: outChannels, groups: groups,
                                      paddingMode: conv.paddingMode.value, hasBias: conv.bias.enabled)
        return (.conv(convolution), outputShape)
    }

    private mutating func checkPool(_ pool: PoolSpec, _ layer: LayerSpec, input: FeatureShape) -> (window: Window, output: FeatureShape)? {
        guard let (window, output) = resolveWindow(kernel: pool.kernel, stride: pool.stride.value, dilation: Pair(square: 1),
                                                   padding: pool.padding, ceilMode: pool.ceilMode, layer: layer, input: input) else {
            return nil
        }
        // A window lying wholly in padding would have nothing to pool.
        let padding = window.padding
        let kernel = window.kernel
        var tooWide: [String] = []
        if max(padding.top, padding.bottom) >= kernel.height { tooWide.append("vertical padding \(max(padding.top, padding.bottom)) vs kernel height \(kernel.height)") }
        if max(padding.left, padding.right) >= kernel.width { tooWide.append("horizontal padding \(max(padding.left, padding.right)) vs kernel width \(kernel.width)") }
        if !tooWide.isEmpty {
            diagnostics.error("'\(layer.name)' pads too much: each side must be smaller than the kernel, so no window lies wholly in padding (\(tooWide.joined(separator: ", ")))",
                              at: pool.padding.location)
        }
        return (window, FeatureShape(channels: input.channels, height: output.height, width: output.width))
    }

    private mutating func checkDense(_ dense: DenseSpec, _ layer: LayerSpec, input: FeatureShape) -> (Operation, FeatureShape)? {
        guard input.height == 1, input.width == 1 else {
            diagnostics.error("'\(layer.name)' needs a flat input, but \(producerName) \(input)", at: layer.location,
                              notes: [producer, .init("add '- flatten' before '\(layer.name)' to feed it the \(input.count.grouped) values in C, H, W order", at: nil)])
            return nil
        }
        if let explicit = dense.inFeatures, explicit.value != input.channels {
            diagnostics.error("'\(layer.name)' expects \(explicit.value.grouped) input features, but \(producerName) \(input.channels.grouped)",
                              at: explicit.location, notes: [producer])
        }
        if checkedProduct(input.channels, dense.units.value) == nil {
            diagnostics.error("'\(layer.name)' would have \(input.channels.grouped) × \(dense.units.value.grouped) weights, more than \(Self.maximumElements.grouped)",
                              at: layer.location, notes: [producer])
            return nil
        }
        return (.dense(Dense(inFeatures: input.channels, outFeatures: dense.units.value, hasBias: dense.bias.enabled)),
                FeatureShape(channels: dense.units.value, height: 1, width: 1))
    }

    // MARK: Geometry

    private mutating func resolveWindow(kernel: Located<Pair>, stride: Pair, dilation: Pair, padding: Located<PaddingSpec>,
                                        ceilMode: Bool, layer: LayerSpec, input: FeatureShape) -> (Window, (height: Int, width: Int))? {
        let extent = Pair(dilation.height * (kernel.value.height - 1) + 1, dilation.width * (kernel.value.width - 1) + 1)
        let resolved: Padding
        switch padding.value {
        case .explicit(let explicit): resolved = explicit
        case .valid: resolved = .zero
        case .same:
            let vertical = samePadding(input: input.height, extent: extent.height, stride: stride.height)
            let horizontal = samePadding(input: input.width, extent: extent.width, stride: stride.width)
            resolved = Padding(top: vertical.before, bottom: vertical.after, left: horizontal.before, right: horizontal.after)
        }
        let window = Window(kernel: kernel.value, stride: stride, dilation: dilation, padding: resolved, ceilMode: ceilMode)
        let height = windowOutputSize(input: input.height, extent: extent.height, stride: stride.height,
                                      padBefore: resolved.top, padAfter: resolved.bottom, ceilMode: ceilMode)
        let width = windowOutputSize(input: input.width, extent: extent.width, stride: stride.width,
                                     padBefore: resolved.left, padAfter: resolved.right, ceilMode: ceilMode)
        guard let height, let width else {
            var problems: [String] = []
            if height == nil {
                problems.append(describeMisfit(axis: "height", kernel: kernel.value.height, extent: extent.height,
                                               input: input.height, before: resolved.top, after: resolved.bottom))
            }
            if width == nil {
                problems.append(describeMisfit(axis: "width", kernel: kernel.value.width, extent: extent.width,
                                               input: input.width, before: resolved.left, after: resolved.right))
            }
            diagnostics.error("'\(layer.name)': the \(kernel.value.height)×\(kernel.value.width) kernel does not fit its input: \(problems.joined(separator: "; "))",
                              at: layer.location, notes: [producer])
            return nil
        }
        return (window, (height, width))
    }

    private func describeMisfit(axis: String, kernel: Int, extent: Int, input: Int, before: Int, after: Int) -> String {
        let dilated = extent == kernel ? "\(kernel)" : "\(extent) (dilated from \(kernel))"
        let padded = before + after == 0 ? "the input \(axis) \(input)" : "the padded input \(axis) \(input + before + after) (\(input) + \(before) + \(after) padding)"
        return "its \(axis) \(dilated) exceeds \(padded)"
    }

    private mutating func checkPaddingMode(_ mode: Located<PaddingMode>, padding: Padding, layer: LayerSpec, input: FeatureShape) {
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
        var problems: [String] = []
        for (sideName, pad, side, axis) in [("top", padding.top, input.height, "height"), ("bottom", padding.bottom, input.height, "height"),
                                            ("left", padding.left, input.width, "width"), ("right", padding.right, input.width, "width")]
        where !fits(pad, side) {
            problems.append("\(sideName) padding \(pad) vs input \(axis) \(side)")
        }
        guard !problems.isEmpty else { return }
        diagnostics.error("'\(layer.name)' uses \(mode.value.keyword) padding, which must be \(limitDescription) the input side: \(problems.joined(separator: ", "))",
                          at: layer.location, notes: [producer])
    }
}
