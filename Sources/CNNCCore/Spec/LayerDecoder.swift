/// Decodes the options of one layer: the keys every layer takes (`name`, `from`, `activation`) here,
/// each kind's own options in its file under `Spec/Layers/`.
struct LayerDecoder {
    /// Every layer kind word, in the order the docs list them.
    static let keywords = LayerKeyword.allCases.map(\.rawValue)

    struct Decoded {
        var kind: LayerKind
        var name: Located<String>?
        var from: InputReferences?
        var tensor: Located<String>?
        /// The value of `activation:`, decoded by the caller as a layer of its own.
        var activation: YAMLNode?
    }

    var values: ValueDecoder
    let kindNode: YAMLNode
    let keyword: LayerKeyword
    private var options: Options
    private var failed = false
    /// The value of `activation:`, kept even when the layer fails so that it is checked too.
    private(set) var activationNode: YAMLNode?
    /// Required options not given; reported once every key has been read.
    private var missingRequired: [String] = []

    init(values: ValueDecoder, kindNode: YAMLNode, keyword: LayerKeyword) {
        self.values = values
        self.kindNode = kindNode
        self.keyword = keyword
        self.options = Options(owner: keyword.rawValue, entries: [])
    }

    private var kind: String { keyword.rawValue }
    var kindLocation: SourceLocation { values.location(kindNode) }

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
            if text == NetworkSpec.inputName {
                values.error("'\(NetworkSpec.inputName)' is reserved for the network input; choose another layer name", at: nameNode)
                failed = true
            } else {
                name = Located(text, at: values.location(nameNode))
            }
        }
        let from = decodeFrom()
        var tensor: Located<String>?
        if let tensorNode = options.take("tensor"), let text = values.name(tensorNode, "tensor") {
            tensor = Located(text, at: values.location(tensorNode))
        }
        let activation = keyword.takesActivationSugar ? options.take("activation") : nil
        activationNode = activation
        let layerKind = decodeKind()
        for key in missingRequired where !options.isMisspelled(key) {
            values.diagnostics.error("'\(kind)' is missing required option '\(key)'", at: kindLocation)
        }
        // A closure over `keyword` only: `hint: hint` would capture a copy of self, so the diagnostics
        // would be shared while reportUnknown appends and every layer would copy them all.
        let keyword = keyword
        options.reportUnknown(into: &values) { Self.hint(keyword, $0) }
        guard let layerKind, !failed else { return nil }
        return Decoded(kind: layerKind, name: name, from: from, tensor: tensor, activation: activation)
    }

    private var exampleOptions: String {
        switch keyword {
        case .conv: ConvSpec.example
        case .convTranspose: ConvTransposeSpec.example
        case .maxPool, .avgPool: PoolSpec.example
        case .dense: DenseSpec.example
        case .leakyReLU, .elu: "alpha: 0.1"
        case .batchNorm: BatchNormSpec.example
        case .dropout: "rate: 0.5"
        case .upsample: UpsampleSpec.example
        case .add, .mul, .concat: "from: [a, b]"
        case .globalAvgPool, .globalMaxPool, .relu, .relu6, .sigmoid, .tanh, .gelu, .silu, .softmax, .flatten:
            "name: \(kind)1"
        }
    }

    private static func hint(_ keyword: LayerKeyword, _ key: String) -> String? {
        switch (keyword, key) {
        case (.maxPool, "count_include_pad"): "'count_include_pad' applies to 'avgpool' only"
        case (.maxPool, "dilation"), (.avgPool, "dilation"): "pooling layers take no dilation"
        case (.convTranspose, "padding_mode"), (.convTranspose, "padding_value"):
            "a transposed convolution's padding crops its output; PyTorch's ConvTranspose2d, too, has only zero padding"
        case (_, "activation"):
            "'activation' is accepted by 'conv', 'conv_transpose', 'dense', 'add' and 'mul'; write the activation as a layer of its own"
        case (_, "<<"): "YAML merge keys are not supported; write the options out"
        case (.dense, "normalize"), (.convTranspose, "normalize"): "'normalize' applies to inline 'conv' weights"
        default: nil
        }
    }

    private mutating func decodeKind() -> LayerKind? {
        switch keyword {
        case .conv: return ConvSpec.decode(&self).map(LayerKind.conv)
        case .convTranspose: return ConvTransposeSpec.decode(&self).map(LayerKind.convTranspose)
        case .maxPool: return PoolSpec.decode(&self, average: false).map(LayerKind.maxPool)
        case .avgPool: return PoolSpec.decode(&self, average: true).map(LayerKind.avgPool)
        case .globalAvgPool: return .globalAvgPool
        case .globalMaxPool: return .globalMaxPool
        case .relu: return .activation(.relu)
        case .relu6: return .activation(.relu6)
        case .leakyReLU: return number("alpha", default: 0.01).map { .activation(.leakyReLU(alpha: $0)) }
        case .elu: return number("alpha", default: 1.0).map { .activation(.elu(alpha: $0)) }
        case .sigmoid: return .activation(.sigmoid)
        case .tanh: return .activation(.tanh)
        case .gelu: return .activation(.gelu)
        case .silu: return .activation(.silu)
        case .softmax: return .activation(.softmax)
        case .batchNorm: return BatchNormSpec.decode(&self).map(LayerKind.batchNorm)
        case .dropout: return number("rate", default: 0, range: 0...1, excludingUpperBound: true).map { .dropout(rate: $0) }
        case .flatten: return .flatten
        case .dense: return DenseSpec.decode(&self).map(LayerKind.dense)
        case .add: return .add
        case .mul: return .mul
        case .concat: return .concat
        case .upsample: return UpsampleSpec.decode(&self).map(LayerKind.upsample)
        }
    }

    /// `from: name` or `from: [a, b, …]`; each entry keeps its own location for later errors.
    private mutating func decodeFrom() -> InputReferences? {
        guard let node = options.take("from"), let key = options.keyNode("from") else { return nil }
        let items: [YAMLNode]
        if let sequence = node.sequence {
            guard !sequence.isEmpty else {
                values.error("'from' lists no inputs; name a layer, 'input', or a list of them", at: node)
                failed = true
                return nil
            }
            items = sequence
        } else if node.mapping != nil {
            values.error("'from' must name a layer or list layers, e.g. from: [a, b], got a mapping", at: node)
            failed = true
            return nil
        } else {
            items = [node]
        }
        var names: [Located<String>] = []
        for item in items {
            guard item.sequence == nil, item.mapping == nil, let text = values.text(item, "from") else {
                if item.sequence != nil || item.mapping != nil {
                    values.error("each entry of 'from' must be a layer name, got \(item.kindDescription)", at: item)
                }
                failed = true
                continue
            }
            guard !text.isEmpty else {
                values.error("'from' entries must name a layer or 'input', got an empty string", at: item)
                failed = true
                continue
            }
            names.append(Located(text, at: values.location(item)))
        }
        return InputReferences(names: names, location: values.location(key), isList: node.sequence != nil)
    }

    // MARK: Options shared by several kinds

    mutating func paddingMode() -> Located<PaddingMode>? {
        let modeNode = options.take("padding_mode")
        let valueNode = options.take("padding_value")
        var mode = Located(PaddingMode.zeros, at: kindLocation)
        if let modeNode {
            guard let word = values.keyword(modeNode, "padding_mode", PaddingMode.keywords), let parsed = PaddingMode(keyword: word) else {
                failed = true
                return nil
            }
            mode = Located(parsed, at: values.location(modeNode))
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

    mutating func bias() -> BiasSpec? {
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

    mutating func inlineWeight(allowNormalize: Bool) -> InlineWeights? {
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

    mutating func requiredInteger(_ key: String) -> Located<Int>? {
        guard let node = options.take(key) else {
            missingRequired.append(key)
            failed = true
            return nil
        }
        return located(node, values.integer(node, key))
    }

    mutating func optionalInteger(_ key: String) -> Located<Int>? {
        guard let node = options.take(key) else { return nil }
        return located(node, values.integer(node, key))
    }

    mutating func integer(_ key: String, default value: Int) -> Located<Int>? {
        guard let node = options.take(key) else { return Located(value, at: kindLocation) }
        return located(node, values.integer(node, key))
    }

    mutating func requiredPair(_ key: String) -> Located<Pair>? {
        guard let node = options.take(key) else {
            missingRequired.append(key)
            failed = true
            return nil
        }
        return located(node, values.pair(node, key))
    }

    mutating func pair(_ key: String, default value: Pair, minimum: Int = 1) -> Located<Pair>? {
        guard let node = options.take(key) else { return Located(value, at: kindLocation) }
        return located(node, values.pair(node, key, minimum: minimum))
    }

    /// `scale: 2` or `[2, 3]`: whole factors; a fraction gets its own message, since frameworks accept them.
    mutating func requiredScale() -> Located<Pair>? {
        guard let node = options.take("scale") else {
            missingRequired.append("scale")
            failed = true
            return nil
        }
        let entries = node.sequence ?? [node]
        for entry in entries {
            if let scalar = entry.scalar, case .float(let value) = YAMLScalarValue(scalar), value.isFinite, value != value.rounded() {
                values.error("'scale' must be a whole number; fractional scales such as \(scalar.text) are not supported", at: entry)
                failed = true
                return nil
            }
        }
        return located(node, values.pair(node, "scale"))
    }

    mutating func padding() -> Located<PaddingSpec>? {
        guard let node = options.take("padding") else {
            return Located(.explicit(.zero), at: kindLocation)
        }
        return located(node, values.padding(node))
    }

    /// Padding as numbers only: `same` has no meaning for a transposed convolution; `sameHint` is the
    /// padding that gives what Keras's `same` would.
    mutating func explicitPadding(sameHint: String?) -> Located<Padding>? {
        guard let node = options.take("padding") else { return Located(.zero, at: kindLocation) }
        guard let spec = values.padding(node) else {
            failed = true
            return nil
        }
        switch spec {
        case .explicit(let padding): return Located(padding, at: values.location(node))
        case .valid: return Located(.zero, at: values.location(node))
        case .same:
            let notes = sameHint.map { [Diagnostic.Note("for an output of input × stride, as Keras's padding=\"same\", write \($0)", at: nil)] } ?? []
            values.error("'\(kind)' takes padding as numbers (the rows and columns cropped from its output); 'same' is not defined for it",
                         at: node, notes: notes)
            failed = true
            return nil
        }
    }

    mutating func boolean(_ key: String, default value: Bool) -> Bool? {
        guard let node = options.take(key) else { return value }
        let result = values.boolean(node, key)
        if result == nil { failed = true }
        return result
    }

    mutating func optionalBoolean(_ key: String) -> Located<Bool>? {
        guard let node = options.take(key) else { return nil }
        return located(node, values.boolean(node, key))
    }

    mutating func keyword(_ key: String, _ choices: [String], default value: String) -> Located<String>? {
        guard let node = options.take(key) else { return Located(value, at: kindLocation) }
        return located(node, values.keyword(node, key, choices))
    }

    mutating func number(_ key: String, default value: Float, range: ClosedRange<Double> = -1e6...1e6,
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
