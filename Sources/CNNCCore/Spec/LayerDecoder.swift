/// Decodes the options of one layer; one function per kind.
struct LayerDecoder {
    /// Every layer kind word, in the order the docs list them.
    static let keywords = ["conv", "maxpool", "avgpool", "global_avgpool", "global_maxpool"] + Activation.keywords
        + ["batchnorm", "dropout", "flatten", "dense"]

    struct Decoded {
        var kind: LayerKind
        var name: Located<String>?
        /// The value of `activation:`, decoded by the caller as a layer of its own.
        var activation: YAMLNode?
    }

    var values: ValueDecoder
    let kindNode: YAMLNode
    let kind: String
    private var options: Options
    private var failed = false
    /// Required options not given; reported once every key has been read.
    private var missingRequired: [String] = []

    init(values: ValueDecoder, kindNode: YAMLNode, kind: String) {
        self.values = values
        self.kindNode = kindNode
        self.kind = kind
        self.options = Options(owner: kind, entries: [])
    }

    private var kindLocation: SourceLocation { values.location(kindNode) }

    mutating func decode(_ optionsNode: YAMLNode?) -> Decoded? {
        if let optionsNode {
            guard let entries = optionsNode.mapping else {
                values.error("the options of '\(kind)' must be a mapping such as {\(exampleOptions)}, got \(optionsNode.kindDescription)",
                             at: optionsNode)
                return nil
            }
            options = Options(owner: kind, entries: entries)
        }
        var name: Located<String>?
        if let nameNode = options.take("name"), let text = values.name(nameNode, "name") {
            name = Located(text, at: values.location(nameNode))
        }
        let activation = kind == "conv" || kind == "dense" ? options.take("activation") : nil
        let layerKind = decodeKind()
        for key in missingRequired where !options.isMisspelled(key) {
            values.diagnostics.error("'\(kind)' is missing required option '\(key)'", at: kindLocation)
        }
        options.reportUnknown(into: &values, hint: hint)
        guard let layerKind, !failed else { return nil }
        return Decoded(kind: layerKind, name: name, activation: activation)
    }

    private var exampleOptions: String {
        switch kind {
        case "conv": "channels: 8, kernel: 3"
        case "maxpool", "avgpool": "kernel: 2"
        case "dense": "units: 10"
        case "leaky_relu", "elu": "alpha: 0.1"
        case "batchnorm": "eps: 1e-5"
        case "dropout": "rate: 0.5"
        default: "name: \(kind)1"
        }
    }

    private func hint(_ key: String) -> String? {
        switch (kind, key) {
        case ("maxpool", "count_include_pad"): "'count_include_pad' applies to 'avgpool' only"
        case ("maxpool", "dilation"), ("avgpool", "dilation"): "pooling layers take no dilation"
        case (_, "activation"): "'activation' is accepted by 'conv' and 'dense'; write the activation as a layer of its own"
        case (_, "<<"): "YAML merge keys are not supported; write the options out"
        case ("dense", "normalize"): "'normalize' applies to inline 'conv' weights"
        default: nil
        }
    }

    private mutating func decodeKind() -> LayerKind? {
        switch kind {
        case "conv": return decodeConv().map(LayerKind.conv)
        case "maxpool": return decodePool(average: false).map(LayerKind.maxPool)
        case "avgpool": return decodePool(average: true).map(LayerKind.avgPool)
        case "global_avgpool": return .globalAvgPool
        case "global_maxpool": return .globalMaxPool
        case "relu": return .activation(.relu)
        case "relu6": return .activation(.relu6)
        case "leaky_relu": return number("alpha", default: 0.01).map { .activation(.leakyReLU(alpha: $0)) }
        case "elu": return number("alpha", default: 1.0).map { .activation(.elu(alpha: $0)) }
        case "sigmoid": return .activation(.sigmoid)
        case "tanh": return .activation(.tanh)
        case "gelu": return .activation(.gelu)
        case "silu": return .activation(.silu)
        case "softmax": return .activation(.softmax)
        case "batchnorm":
            return number("eps", default: 1e-5, range: 0...1e6, positive: true).map { .batchNorm(BatchNormSpec(eps: $0)) }
        case "dropout": return number("rate", default: 0, range: 0...1, excludingUpperBound: true).map { .dropout(rate: $0) }
        case "flatten": return .flatten
        case "dense": return decodeDense().map(LayerKind.dense)
        default: return nil
        }
    }

    // MARK: Kinds with options

    private mutating func decodeConv() -> ConvSpec? {
        let channels = requiredInteger("channels")
        let kernel = requiredPair("kernel")
        let stride = pair("stride", default: Pair(square: 1))
        let dilation = pair("dilation", default: Pair(square: 1))
        let padding = padding()
        let groups = integer("groups", default: 1)
        let inChannels = optionalInteger("in_channels")
        let paddingMode = decodePaddingMode()
        let bias = decodeBias()
        let weight = decodeWeight(allowNormalize: true)
        guard let channels, let kernel, let stride, let dilation, let padding, let groups, let paddingMode, let bias else {
            return nil
        }
        return ConvSpec(outChannels: channels, kernel: kernel, stride: stride, padding: padding, paddingMode: paddingMode,
                        dilation: dilation, groups: groups, bias: bias, inChannels: inChannels, weight: weight)
    }

    private mutating func decodePool(average: Bool) -> PoolSpec? {
        let kernel = requiredPair("kernel")
        let stride = pair("stride", default: kernel?.value ?? Pair(square: 1))
        let padding = padding()
        let ceilMode = boolean("ceil_mode", default: false)
        var countIncludePad: Located<Bool>?
        if average, let node = options.take("count_include_pad") {
            if let value = values.boolean(node, "count_include_pad") {
                countIncludePad = Located(value, at: values.location(node))
            } else {
                failed = true
            }
        }
        guard let kernel, let stride, let padding, let ceilMode else { return nil }
        return PoolSpec(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }

    private mutating func decodeDense() -> DenseSpec? {
        let units = requiredInteger("units")
        let inFeatures = optionalInteger("in_features")
        let bias = decodeBias()
        let weight = decodeWeight(allowNormalize: false)
        guard let units, let bias else { return nil }
        return DenseSpec(units: units, bias: bias, inFeatures: inFeatures, weight: weight)
    }

    private mutating func decodePaddingMode() -> Located<PaddingMode>? {
        let modeNode = options.take("padding_mode")
        let valueNode = options.take("padding_value")
        var mode = Located(PaddingMode.zeros, at: kindLocation)
        if let modeNode {
            guard let word = values.keyword(modeNode, "padding_mode", PaddingMode.keywords) else {
                failed = true
                return nil
            }
            let location = values.location(modeNode)
            switch word {
            case "constant": mode = Located(.constant(0), at: location)
            case "reflect": mode = Located(.reflect, at: location)
            case "replicate": mode = Located(.replicate, at: location)
            case "circular": mode = Located(.circular, at: location)
            default: mode = Located(.zeros, at: location)
            }
        }
        if let valueNode {
            guard case .constant = mode.value else {
                values.error("'padding_value' applies only with padding_mode: constant (here the mode is '\(mode.value.keyword)')",
                             at: options.keyNode("padding_value")!)
                failed = true
                return nil
            }
            guard let value = values.number(valueNode, "padding_value") else {
                failed = true
                return nil
            }
            mode.value = .constant(value)
        }
        return mode
    }

    private mutating func decodeBias() -> BiasSpec? {
        guard let node = options.take("bias") else { return BiasSpec(enabled: true) }
        if node.sequence != nil {
            guard let tensor = InlineTensorDecoder.decode(node, what: "bias", into: &values) else {
                failed = true
                return nil
            }
            guard tensor.shape.count == 1 else {
                values.error("'bias' must be a flat list of numbers, one per output, got a list nested \(tensor.shape.count) deep", at: node)
                failed = true
                return nil
            }
            return BiasSpec(enabled: true, inline: tensor, location: values.location(node))
        }
        guard let enabled = values.boolean(node, "bias") else {
            failed = true
            return nil
        }
        return BiasSpec(enabled: enabled, location: values.location(node))
    }

    private mutating func decodeWeight(allowNormalize: Bool) -> InlineWeights? {
        let weightNode = options.take("weight")
        var normalize = false
        if allowNormalize, let node = options.take("normalize") {
            guard let value = values.boolean(node, "normalize") else {
                failed = true
                return nil
            }
            normalize = value
            if normalize, weightNode == nil {
                values.error("'normalize: true' needs inline 'weight:' values to normalize", at: options.keyNode("normalize")!)
                failed = true
            }
        }
        guard let weightNode else { return nil }
        guard let tensor = InlineTensorDecoder.decode(weightNode, what: "weight", into: &values) else {
            failed = true
            return nil
        }
        return InlineWeights(tensor: tensor, normalize: normalize)
    }

    // MARK: Typed options with defaults

    private mutating func requiredInteger(_ key: String) -> Located<Int>? {
        guard let node = options.take(key) else {
            missingRequired.append(key)
            failed = true
            return nil
        }
        return located(node, values.integer(node, key))
    }

    private mutating func optionalInteger(_ key: String) -> Located<Int>? {
        guard let node = options.take(key) else { return nil }
        return located(node, values.integer(node, key))
    }

    private mutating func integer(_ key: String, default value: Int) -> Located<Int>? {
        guard let node = options.take(key) else { return Located(value, at: kindLocation) }
        return located(node, values.integer(node, key))
    }

    private mutating func requiredPair(_ key: String) -> Located<Pair>? {
        guard let node = options.take(key) else {
            missingRequired.append(key)
            failed = true
            return nil
        }
        return located(node, values.pair(node, key))
    }

    private mutating func pair(_ key: String, default value: Pair) -> Located<Pair>? {
        guard let node = options.take(key) else { return Located(value, at: kindLocation) }
        return located(node, values.pair(node, key))
    }

    private mutating func padding() -> Located<PaddingSpec>? {
        guard let node = options.take("padding") else {
            return Located(.explicit(.zero), at: kindLocation)
        }
        return located(node, values.padding(node))
    }

    private mutating func boolean(_ key: String, default value: Bool) -> Bool? {
        guard let node = options.take(key) else { return value }
        let result = values.boolean(node, key)
        if result == nil { failed = true }
        return result
    }

    private mutating func number(_ key: String, default value: Float, range: ClosedRange<Double> = -1e6...1e6,
                                 excludingUpperBound: Bool = false, positive: Bool = false) -> Float? {
        guard let node = options.take(key) else { return value }
        let result = values.number(node, key, range, excludingUpperBound: excludingUpperBound, positive: positive)
        if result == nil { failed = true }
        return result
    }

    private mutating func located<Value>(_ node: YAMLNode, _ value: Value?) -> Located<Value>? {
        guard let value else {
            failed = true
            return nil
        }
        return Located(value, at: values.location(node))
    }
}

/// A nested list of numbers whose nesting gives the shape, checked to be rectangular.
enum InlineTensorDecoder {
    static let maximumRank = 4

    static func decode(_ node: YAMLNode, what: String, into values: inout ValueDecoder) -> InlineTensor? {
        guard node.sequence != nil else {
            values.error("'\(what)' must be a (nested) list of numbers, got \(node.kindDescription)", at: node)
            return nil
        }
        var shape: [Int] = []
        var probe = node
        while let items = probe.sequence {
            guard shape.count < maximumRank else {
                values.error("'\(what)' nests deeper than \(maximumRank) levels", at: probe)
                return nil
            }
            guard let first = items.first else {
                values.error("'\(what)' holds an empty list", at: probe)
                return nil
            }
            shape.append(items.count)
            probe = first
        }
        var numbers: [Float] = []
        numbers.reserveCapacity(shape.reduce(1, *))
        let before = values.diagnostics.errorCount
        collect(node, depth: 0, shape: shape, what: what, into: &numbers, values: &values)
        guard values.diagnostics.errorCount == before else { return nil }
        return InlineTensor(shape: shape, values: numbers, location: values.location(node))
    }

    private static func collect(_ node: YAMLNode, depth: Int, shape: [Int], what: String, into numbers: inout [Float],
                                values: inout ValueDecoder) {
        if depth == shape.count {
            if node.sequence != nil {
                values.error("'\(what)' is nested unevenly: a list here, where its siblings hold numbers", at: node)
            } else if let number = values.number(node, what) {
                numbers.append(number)
            }
            return
        }
        guard let items = node.sequence else {
            values.error("'\(what)' is nested unevenly: \(node.kindDescription) here, where a list of \(shape[depth]) is expected", at: node)
            return
        }
        guard items.count == shape[depth] else {
            values.error("'\(what)' is not rectangular: this list has \(items.count) entr\(items.count == 1 ? "y" : "ies"), its first sibling \(shape[depth])",
                         at: node)
            return
        }
        // One error per list is enough: a list of thousands of bad numbers would otherwise flood the output.
        let before = values.diagnostics.errorCount
        for item in items where values.diagnostics.errorCount == before {
            collect(item, depth: depth + 1, shape: shape, what: what, into: &numbers, values: &values)
        }
    }
}
