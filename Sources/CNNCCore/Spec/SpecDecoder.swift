/// Turns the YAML node tree of a spec file into a `NetworkSpec`, reporting every problem it finds.
public struct SpecDecoder {
    public struct Result: Sendable {
        public var spec: NetworkSpec?
        public var diagnostics: Diagnostics
    }

    public static func decode(_ root: YAMLNode, path: String) -> Result {
        var decoder = SpecDecoder(values: ValueDecoder(path: path))
        let spec = decoder.decodeNetwork(root)
        let diagnostics = decoder.values.diagnostics
        return Result(spec: diagnostics.hasErrors ? nil : spec, diagnostics: diagnostics)
    }

    var values: ValueDecoder

    private var path: String { values.path }

    private func location(_ node: YAMLNode) -> SourceLocation { values.location(node) }

    private mutating func error(_ message: String, at node: YAMLNode, notes: [Diagnostic.Note] = [], fixIts: [Diagnostic.FixIt] = []) {
        values.error(message, at: node, notes: notes, fixIts: fixIts)
    }

    // MARK: The document

    private mutating func decodeNetwork(_ root: YAMLNode) -> NetworkSpec? {
        guard let entries = root.mapping else {
            error("a spec must be a mapping with 'name', 'input' and 'layers', got \(root.kindDescription)", at: root)
            return nil
        }
        var options = Options(owner: "the spec", entries: entries)
        let nameNode = options.take("name")
        let inputNode = options.take("input")
        let layersNode = options.take("layers")
        let weightsNode = options.take("weights")
        let labelsNode = options.take("labels")
        let outputNode = options.take("output")
        let namingNode = options.take("weights_names")
        let prefixNode = options.take("weights_prefix")
        options.reportUnknown(into: &values)
        func reportMissing(_ key: String, _ message: String, _ decoder: inout SpecDecoder) {
            guard !options.isMisspelled(key) else { return }
            decoder.values.diagnostics.error(message, at: SourceLocation(path: decoder.path, range: SourceRange(at: root.range.start)))
        }

        var name: Located<String>?
        if let nameNode {
            name = values.name(nameNode, "name").map { Located($0, at: location(nameNode)) }
        } else {
            reportMissing("name", "the spec is missing 'name' (it names the network and its generated module)", &self)
        }
        var input: InputSpec?
        if let inputNode {
            input = decodeInput(inputNode, key: options.keyNode("input")!)
        } else {
            reportMissing("input", "the spec is missing 'input', e.g. input: {channels: 1, height: 28, width: 28}", &self)
        }
        var layers: [LayerSpec] = []
        if let layersNode {
            layers = decodeLayers(layersNode)
        } else {
            reportMissing("layers", "the spec is missing 'layers', the list of layers", &self)
        }
        var weightsPath: Located<String>?
        if let weightsNode, let text = values.text(weightsNode, "weights") {
            if text.isEmpty {
                error("'weights' must name a file", at: weightsNode)
            } else {
                weightsPath = Located(text, at: location(weightsNode))
            }
        }
        var labels: Located<[String]>?
        if let labelsNode {
            labels = decodeLabels(labelsNode)
        }
        var output: Located<String>?
        if let outputNode, let text = values.text(outputNode, "output") {
            if text == NetworkSpec.inputName {
                error("'output' must name a layer; '\(NetworkSpec.inputName)' is the network input", at: outputNode)
            } else {
                output = Located(text, at: location(outputNode))
            }
        }
        var naming: Located<TensorNaming>?
        if let namingNode, let word = values.keyword(namingNode, "weights_names", TensorNaming.allCases.map(\.rawValue)) {
            naming = Located(TensorNaming(rawValue: word)!, at: location(namingNode))
        }
        var prefix: Located<String>?
        if let prefixNode, let text = values.text(prefixNode, "weights_prefix") {
            prefix = Located(text, at: location(prefixNode))
        }
        guard let name, let input, let layersNode else { return nil }
        return NetworkSpec(path: path, name: name, input: input, layers: layers,
                           layersLocation: location(options.keyNode("layers") ?? layersNode),
                           weightsPath: weightsPath, labels: labels, output: output, weightsNames: naming, weightsPrefix: prefix)
    }

    private mutating func decodeInput(_ node: YAMLNode, key: YAMLNode) -> InputSpec? {
        guard let entries = node.mapping else {
            error("'input' must be a mapping such as {channels: 1, height: 28, width: 28}, got \(node.kindDescription)", at: node)
            return nil
        }
        var options = Options(owner: "input", entries: entries)
        func side(_ name: String, _ decoder: inout SpecDecoder, _ options: inout Options) -> Located<Int>? {
            guard let value = options.take(name) else {
                decoder.error("'input' is missing '\(name)'", at: key)
                return nil
            }
            return decoder.values.integer(value, name).map { Located($0, at: decoder.location(value)) }
        }
        let channels = side("channels", &self, &options)
        let height = side("height", &self, &options)
        let width = side("width", &self, &options)
        var preprocess: PreprocessSpec?
        if let preprocessNode = options.take("preprocess") {
            preprocess = decodePreprocess(preprocessNode, channels: channels?.value)
        }
        options.reportUnknown(into: &values)
        guard let channels, let height, let width else { return nil }
        return InputSpec(channels: channels, height: height, width: width, preprocess: preprocess, location: location(key))
    }

    private mutating func decodePreprocess(_ node: YAMLNode, channels: Int?) -> PreprocessSpec? {
        guard let entries = node.mapping else {
            error("'preprocess' must be a mapping of 'scale', 'mean' and 'std', got \(node.kindDescription)", at: node)
            return nil
        }
        var options = Options(owner: "preprocess", entries: entries)
        var result = PreprocessSpec(location: location(node))
        var valid = true
        if let scaleNode = options.take("scale") {
            if let scale = values.number(scaleNode, "scale", nonZero: true) { result.scale = scale } else { valid = false }
        }
        for key in ["mean", "std"] {
            guard let listNode = options.take(key) else { continue }
            guard let list = values.numbers(listNode, key, nonZero: key == "std") else {
                valid = false
                continue
            }
            if list.count != 1, let channels, list.count != channels {
                error("'\(key)' has \(list.count) values, but the input has \(channels) channel\(channels == 1 ? "" : "s"); give one value or one per channel",
                      at: listNode)
                valid = false
            }
            if key == "mean" { result.mean = list } else { result.std = list }
        }
        options.reportUnknown(into: &values)
        return valid ? result : nil
    }

    private mutating func decodeLabels(_ node: YAMLNode) -> Located<[String]>? {
        guard let items = node.sequence else {
            error("'labels' must be a list of class names, got \(node.kindDescription)", at: node)
            return nil
        }
        guard items.count <= NetworkSpec.maximumLabels else {
            error("'labels' has \(items.count) entries; at most \(NetworkSpec.maximumLabels) are allowed", at: node)
            return nil
        }
        var labels: [String] = []
        for item in items {
            guard let scalar = item.scalar, !item.isNull else {
                error("each label must be a string or a number, got \(item.kindDescription)", at: item)
                continue
            }
            // Labels reach terminals, JSON and generated source: no escape sequences, NULs or line breaks.
            if let control = scalar.text.unicodeScalars.first(where: isUnsafeToDisplay) {
                error("a label may not contain control characters, line breaks or bidirectional controls; this one has U+\(String(format: "%04X", control.value))", at: item)
                continue
            }
            labels.append(scalar.text)
        }
        return Located(labels, at: location(node))
    }

    // MARK: Layers

    private mutating func decodeLayers(_ node: YAMLNode) -> [LayerSpec] {
        guard let items = node.sequence else {
            error("'layers' must be a list of layers, got \(node.kindDescription)", at: node)
            return []
        }
        guard !items.isEmpty else {
            error("'layers' is empty; a network needs at least one layer", at: node)
            return []
        }
        guard items.count <= NetworkSpec.maximumLayerEntries else {
            error("'layers' has \(items.count) entries; at most \(NetworkSpec.maximumLayerEntries) are allowed", at: node)
            return []
        }
        // Entries that fail to decode keep their place in the default-name counters, so an error in
        // one layer never renames the layers after it.
        var entries: [NamingEntry] = []
        for item in items {
            let decoded = decodeLayerEntry(item, allowed: nil)
            entries.append(NamingEntry(keyword: decoded.keyword, layer: decoded.layer, isSugar: false))
            if let activation = decoded.activation {
                entries.append(NamingEntry(keyword: activation.keyword, layer: activation.layer, isSugar: true))
            }
        }
        return assignNames(entries)
    }

    /// A decoded entry: its kind word when known, the layer unless it failed, and the entry that
    /// `activation:` sugar adds after it.
    private struct DecodedEntry {
        var keyword: String?
        var layer: LayerSpec?
        var activation: ActivationEntry?

        static let failed = DecodedEntry(keyword: nil, layer: nil, activation: nil)
    }

    /// One entry of the expanded layer list, as default naming sees it.
    private struct NamingEntry {
        var keyword: String?
        var layer: LayerSpec?
        /// Added by the previous entry's `activation:`.
        var isSugar: Bool
    }

    private struct ActivationEntry {
        var keyword: String?
        var layer: LayerSpec?
    }

    /// `- relu`, `- relu:` or `- conv: {…}`. `allowed` restricts the kinds (for `activation:`).
    private mutating func decodeLayerEntry(_ item: YAMLNode, allowed: [String]?) -> DecodedEntry {
        let kinds = allowed ?? LayerDecoder.keywords
        let what = allowed == nil ? "a layer" : "an activation"
        let kindNode: YAMLNode
        let optionsNode: YAMLNode?
        if let scalar = item.scalar, !item.isNull {
            guard case .string = YAMLScalarValue(scalar) else {
                error("\(what) must be a kind name such as '\(kinds[0])' or a mapping such as {\(kinds[0]): {…}}, got \(item.kindDescription)", at: item)
                return .failed
            }
            kindNode = item
            optionsNode = nil
        } else if let pairs = item.mapping {
            guard pairs.count == 1 else {
                let keys = pairs.compactMap { $0.key.scalar?.text }.map { "'\($0)'" }.joined(separator: ", ")
                if pairs.isEmpty {
                    error("\(what) mapping is empty; write the kind, e.g. '\(kinds[0])'", at: item)
                } else {
                    error("\(what) is a mapping with exactly one key, its kind; found \(pairs.count) keys (\(keys))", at: pairs[1].key,
                          notes: [.init("indent the options under the kind, e.g. '- conv:' then '    channels: 8' on the next line, or write '- conv: {channels: 8, kernel: 3}'", at: nil)])
                }
                return .failed
            }
            kindNode = pairs[0].key
            optionsNode = pairs[0].value.isNull ? nil : pairs[0].value
            guard kindNode.scalar.map({ if case .string = YAMLScalarValue($0) { true } else { false } }) == true else {
                error("the key of \(what) must be its kind, such as '\(kinds[0])', got \(kindNode.kindDescription)", at: kindNode)
                return .failed
            }
        } else {
            error("\(what) must be a kind name such as '\(kinds[0])' or a mapping such as {\(kinds[0]): {…}}, got \(item.kindDescription)", at: item)
            return .failed
        }
        let word = kindNode.scalar!.text
        guard kinds.contains(word) else {
            var notes: [Diagnostic.Note] = []
            if allowed != nil, LayerDecoder.keywords.contains(word) {
                error("'\(word)' is not an activation; 'activation' takes one of \(kinds.map { "'\($0)'" }.joined(separator: ", "))", at: kindNode)
                return .failed
            }
            if allowed == nil, word == "activation" {
                notes.append(.init("write the activation itself as a layer, e.g. '- relu', or as 'activation: relu' inside a conv or dense layer", at: nil))
            }
            let suggestion = Suggestions.didYouMean(word, in: kinds, at: location(kindNode))
            error("unknown \(allowed == nil ? "layer kind" : "activation") '\(word)'\(suggestion.text)", at: kindNode, notes: notes, fixIts: suggestion.fixIts)
            return .failed
        }
        // The layer decoder takes the diagnostics over and hands them back: were they shared while it
        // appends, every layer would copy them all (32,000 bad layers took 43 s).
        var taken = ValueDecoder(path: values.path)
        swap(&taken, &values)
        var layerDecoder = LayerDecoder(values: consume taken, kindNode: kindNode, keyword: LayerKeyword(rawValue: word)!)
        let decoded = layerDecoder.decode(optionsNode)
        swap(&values, &layerDecoder.values)
        guard let decoded else {
            // The activation is independent of the layer's other options: report its errors in the same run.
            if let activationNode = layerDecoder.activationNode { _ = decodeLayerEntry(activationNode, allowed: Activation.keywords) }
            return DecodedEntry(keyword: word, layer: nil, activation: nil)
        }
        if allowed != nil, let from = decoded.from {
            values.diagnostics.error("an activation written as 'activation:' reads the layer it belongs to; 'from' is not allowed here",
                                     at: from.location)
            return DecodedEntry(keyword: word, layer: nil, activation: nil)
        }
        var activation: ActivationEntry?
        if let activationNode = decoded.activation {
            let entry = decodeLayerEntry(activationNode, allowed: Activation.keywords)
            activation = ActivationEntry(keyword: entry.keyword, layer: entry.layer)
        }
        let layer = LayerSpec(name: decoded.name?.value ?? "", nameLocation: decoded.name?.location,
                              location: location(kindNode), kind: decoded.kind, sugarParent: nil, from: decoded.from, tensor: decoded.tensor)
        return DecodedEntry(keyword: word, layer: layer, activation: activation)
    }

    /// Default names count every layer of a kind, named or not, so naming one never renames another.
    private mutating func assignNames(_ entries: [NamingEntry]) -> [LayerSpec] {
        var counters: [String: Int] = [:]
        var layers: [LayerSpec] = []
        /// For each layer, its ordinal among layers of its kind: "the 2nd relu".
        var ordinals: [Int] = []
        var parentIndex = -1
        for entry in entries {
            var ordinal = 0
            if let keyword = entry.keyword {
                counters[keyword, default: 0] += 1
                ordinal = counters[keyword]!
            }
            guard var layer = entry.layer else { continue }
            if layer.nameLocation == nil {
                // `relu6` + 1 would read as relu #61, so kinds ending in a digit get an underscore.
                let separator = layer.kind.keyword.last!.isNumber ? "_" : ""
                layer.name = layer.kind.keyword + separator + String(ordinal)
            }
            if entry.isSugar {
                layer.sugarParent = parentIndex
            } else {
                parentIndex = layers.count
            }
            layers.append(layer)
            ordinals.append(ordinal)
        }
        reportDuplicateNames(layers, ordinals: ordinals)
        return layers
    }

    /// A name used twice is an error at the later use, or, when the later one is only a default name,
    /// at the explicit name that takes it.
    private mutating func reportDuplicateNames(_ layers: [LayerSpec], ordinals: [Int]) {
        var firstUse: [String: Int] = [:]
        for (index, layer) in layers.enumerated() {
            guard let first = firstUse[layer.name] else {
                firstUse[layer.name] = index
                continue
            }
            let earlier = layers[first]
            func defaultNote(_ index: Int) -> String {
                let layer = layers[index]
                return "the \(ordinalText(ordinals[index])) '\(layer.kind.keyword)' layer is named '\(layer.name)' by default"
            }
            switch (earlier.nameLocation, layer.nameLocation) {
            case (let explicit?, nil):
                values.diagnostics.error(
                    "layer name '\(layer.name)' is taken by default by a later layer", at: explicit,
                    notes: [.init(defaultNote(index) + "; rename one of them", at: layer.location)])
            case (nil, let explicit?):
                values.diagnostics.error(
                    "layer name '\(layer.name)' is already taken by default by an earlier layer", at: explicit,
                    notes: [.init(defaultNote(first), at: earlier.location)])
            default:
                values.diagnostics.error(
                    "layer name '\(layer.name)' is already taken", at: layer.nameLocation ?? layer.location,
                    notes: [.init("'\(layer.name)' is first used here", at: earlier.nameLocation ?? earlier.location)])
            }
        }
    }
}

/// `1st`, `2nd`, `3rd`, `11th`, `22nd`.
func ordinalText(_ number: Int) -> String {
    let suffix: String
    switch (number % 10, number % 100) {
    case (_, 11...13): suffix = "th"
    case (1, _): suffix = "st"
    case (2, _): suffix = "nd"
    case (3, _): suffix = "rd"
    default: suffix = "th"
    }
    return "\(number)\(suffix)"
}
