import CNNCRuntime

/// Turns a spec into the checked value graph: resolves every `from:` and `output:` to a value,
/// infers every layer's shape from its inputs (each operation's rule lives in `Operators/`), and
/// reports every problem with the numbers involved. A layer whose input failed is skipped, so one
/// mistake is reported once, while independent branches are still checked.
public struct ShapeChecker {
    public struct Result: Sendable {
        public var network: CheckedNetwork?
        public var diagnostics: Diagnostics
    }

    public static func check(_ spec: NetworkSpec) -> Result {
        var checker = ShapeChecker(spec: spec)
        let network = checker.run()
        return Result(network: checker.diagnostics.hasErrors ? nil : network, diagnostics: checker.diagnostics)
    }

    let spec: NetworkSpec
    var diagnostics = Diagnostics()

    private init(spec: NetworkSpec) {
        self.spec = spec
    }

    private mutating func run() -> CheckedNetwork? {
        let input = FeatureShape(channels: spec.input.channels.value, height: spec.input.height.value, width: spec.input.width.value)
        guard ShapeLimits.product(input.channels, input.height, input.width) != nil else {
            diagnostics.error("the input \(input) has more than \(ShapeLimits.maximumElements.grouped) elements", at: spec.input.location)
            return nil
        }
        let graph = resolveReferences()
        var layers: [CheckedLayer] = []
        var shapes: [FeatureShape?] = []
        for (index, layer) in spec.layers.enumerated() {
            guard let values = graph.inputs[index] else {
                shapes.append(nil)
                continue
            }
            var inputs: [ShapeContext.Input] = []
            for (position, value) in values.enumerated() {
                let shape: FeatureShape?
                let producer: String
                let location: SourceLocation
                switch value {
                case .input: (shape, producer, location) = (input, "the input", spec.input.location)
                case .layer(let source): (shape, producer, location) = (shapes[source], "'\(spec.layers[source].name)'", spec.layers[source].location)
                }
                // A failed producer has its own error; this layer's would only echo it.
                guard let shape else { break }
                inputs.append(.init(value: value, shape: shape, producer: producer, producerLocation: location,
                                    reference: layer.from?.names[position].location ?? layer.location))
            }
            guard inputs.count == values.count else {
                shapes.append(nil)
                continue
            }
            var context = ShapeContext(layer: layer, inputs: inputs)
            let checked = Self.check(layer.kind, &context)
            diagnostics.append(contentsOf: context.diagnostics)
            shapes.append(checked?.1)
            if let (operation, output) = checked {
                layers.append(CheckedLayer(index: index, spec: layer, operation: operation, inputs: values,
                                           inputShapes: inputs.map(\.shape), output: output))
            }
        }
        guard layers.count == spec.layers.count, let output = shapes[graph.output] else { return nil }
        checkLabels(output: output, producer: spec.layers[graph.output])
        let network = CheckedNetwork(spec: spec, input: input, layers: layers, outputLayer: graph.output)
        reportUnused(network)
        return network
    }

    /// Every operation's shape rule, by kind.
    private static func check(_ kind: LayerKind, _ context: inout ShapeContext) -> (Operation, FeatureShape)? {
        switch kind {
        case .conv(let spec): Convolution.check(spec, &context).map { (.conv($0), $1) }
        case .convTranspose(let spec): TransposedConvolution.check(spec, &context).map { (.convTranspose($0), $1) }
        case .maxPool(let spec): Pooling.check(spec, average: false, &context).map { (.pool($0), $1) }
        case .avgPool(let spec): Pooling.check(spec, average: true, &context).map { (.pool($0), $1) }
        case .globalAvgPool: GlobalPooling.check(.average, &context).map { (.globalPool($0), $1) }
        case .globalMaxPool: GlobalPooling.check(.max, &context).map { (.globalPool($0), $1) }
        case .activation(let activation): Activation.check(activation, &context).map { (.activation($0), $1) }
        case .batchNorm(let spec): BatchNormalization.check(spec, &context).map { (.batchNorm($0), $1) }
        case .dropout(let rate): Dropout.check(rate: rate, &context).map { (.dropout($0), $1) }
        case .flatten: Flatten.check(&context).map { (.flatten($0), $1) }
        case .dense(let spec): Dense.check(spec, &context).map { (.dense($0), $1) }
        case .add: Add.check(&context).map { (.add($0), $1) }
        case .mul: Multiply.check(&context).map { (.mul($0), $1) }
        case .concat: Concatenation.check(&context).map { (.concat($0), $1) }
        case .upsample(let spec): Upsampling.check(spec, &context).map { (.upsample($0), $1) }
        }
    }

    // MARK: The graph

    private struct Graph {
        /// The values each layer reads; nil where a reference failed.
        var inputs: [[ValueID]?]
        var output: Int
    }

    /// `from:` entries and `output:` to values. A name means the layer's result after its
    /// `activation:` sugar; only layers written earlier may be named, so the written order is a valid
    /// schedule and no cycle can be written.
    private mutating func resolveReferences() -> Graph {
        let layers = spec.layers
        var firstIndex: [String: Int] = [:]
        for (index, layer) in layers.enumerated() where firstIndex[layer.name] == nil { firstIndex[layer.name] = index }
        /// Name → the layer holding its result, for the names written so far.
        var resultOf: [String: Int] = [:]
        var inputs: [[ValueID]?] = []
        for (index, layer) in layers.enumerated() {
            var values: [ValueID]? = []
            if let parent = layer.sugarParent {
                values = [.layer(parent)]
            } else if let from = layer.from {
                for reference in from.names {
                    guard let value = resolve(reference, at: index, known: resultOf, firstIndex: firstIndex, reader: layer) else {
                        values = nil
                        continue
                    }
                    values?.append(value)
                }
                if let count = values?.count, !layer.kind.arity.accepts(count) {
                    diagnostics.error("'\(layer.name)' takes \(layer.kind.arity.description), but 'from' lists \(count)", at: from.location)
                    values = nil
                }
            } else if layer.kind.arity == .one {
                values = [index == 0 ? .input : .layer(index - 1)]
            } else {
                let example = index == 0 ? "[input, input]" : "[\(layers[index - 1].name.quotedIfNeeded), …]"
                diagnostics.error("'\(layer.name)' needs \(layer.kind.arity.description); name them with 'from', e.g. from: \(example)",
                                  at: layer.location)
                values = nil
            }
            inputs.append(values)
            resultOf[layer.name] = index
            if let parent = layer.sugarParent { resultOf[layers[parent].name] = index }
        }
        var output = layers.count - 1
        if let name = spec.output {
            if let index = resultOf[name.value] {
                output = index
            } else {
                diagnostics.error("'output' names '\(name.value)', which is not a layer of this network\(Suggestions.didYouMean(name.value, in: Array(resultOf.keys).sorted()))",
                                  at: name.location)
            }
        }
        return Graph(inputs: inputs, output: output)
    }

    private mutating func resolve(_ reference: Located<String>, at index: Int, known: [String: Int], firstIndex: [String: Int],
                                  reader: LayerSpec) -> ValueID? {
        let name = reference.value
        if name == NetworkSpec.inputName { return .input }
        if let source = known[name] { return .layer(source) }
        if let later = firstIndex[name] {
            if later == index || spec.layers[later].sugarParent == index {
                diagnostics.error("'\(reader.name)' cannot read its own result; 'from' names layers written before it", at: reference.location)
            } else {
                diagnostics.error("'\(reader.name)' reads '\(name)', which is written after it; 'from' may only name earlier layers, because the written order is the order they run in",
                                  at: reference.location, notes: [.init("'\(name)' is written here", at: spec.layers[later].location)])
            }
            return nil
        }
        let candidates = [NetworkSpec.inputName] + spec.layers[..<index].map(\.name)
        diagnostics.error("'\(reader.name)' reads '\(name)', which is not a layer of this network\(Suggestions.didYouMean(name, in: candidates))",
                          at: reference.location)
        return nil
    }

    // MARK: Whole-network checks

    private mutating func checkLabels(output: FeatureShape, producer: LayerSpec) {
        guard let labels = spec.labels else { return }
        let count = output.channels
        guard labels.value.count != count else { return }
        diagnostics.error("'labels' has \(labels.value.count) entr\(labels.value.count == 1 ? "y" : "ies"), but the network produces \(count) class\(count == 1 ? "" : "es") (\(output))",
                          at: labels.location, notes: [.init("'\(producer.name)' produces \(output) here", at: producer.location)])
    }

    /// A layer whose result neither another layer nor the output reads is a warning: it never runs.
    private mutating func reportUnused(_ network: CheckedNetwork) {
        for layer in network.layers where network.consumers[layer.index].isEmpty && layer.index != network.outputLayer {
            let written = layer.spec.sugarParent.map { network.layers[$0] } ?? layer
            diagnostics.warning("'\(written.name)' is unused: its result reaches neither the output nor another layer, so it never runs",
                                at: written.spec.location)
        }
    }
}

extension String {
    /// The name as YAML flow text would need it.
    var quotedIfNeeded: String {
        allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) && !isEmpty ? self : "\"" + self + "\""
    }
}
