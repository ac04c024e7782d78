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

    /// `source`, the spec's text, lets fix-its that insert a layer match the spec's own layout.
    public static func check(_ spec: NetworkSpec, source: SourceFile? = nil) -> Result {
        var checker = ShapeChecker(spec: spec)
        checker.source = source
        let network = checker.run()
        return Result(network: checker.diagnostics.hasErrors ? nil : network, diagnostics: checker.diagnostics)
    }

    let spec: NetworkSpec
    var source: SourceFile?
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
                var producer = "the network input", activation: String?, location = spec.input.location
                switch value {
                case .input: shape = input
                case .layer(let source):
                    shape = shapes[source]
                    // Name the layer the user wrote, not the one its `activation:` added.
                    let written = spec.layers[source].sugarParent.map { spec.layers[$0] } ?? spec.layers[source]
                    producer = "'\(written.name)'"
                    location = written.location
                    if spec.layers[source].sugarParent != nil { activation = spec.layers[source].name }
                }
                // A failed producer has its own error; this layer's would only echo it.
                guard let shape else { break }
                inputs.append(.init(value: value, shape: shape, producer: producer, activation: activation, producerLocation: location,
                                    reference: layer.from?.names[position].location ?? layer.location))
            }
            guard inputs.count == values.count else {
                shapes.append(nil)
                continue
            }
            var context = ShapeContext(layer: layer, inputs: inputs, source: source)
            let checked = Self.check(layer.kind, &context)
            diagnostics.append(contentsOf: context.diagnostics)
            shapes.append(checked?.1)
            if let (operation, output) = checked {
                layers.append(CheckedLayer(index: index, spec: layer, operation: operation, inputs: values,
                                           inputShapes: inputs.map(\.shape), output: output, tensorPrefix: tensorPrefix(of: layer, at: index)))
            }
        }
        guard layers.count == spec.layers.count, let output = shapes[graph.output] else {
            // Labels depend only on the number of classes, which a failed classifier still states.
            if let classes = declaredClasses(at: graph.output, graph: graph) {
                checkLabels(output: FeatureShape(channels: classes, height: 1, width: 1), producer: spec.layers[graph.output])
            }
            return nil
        }
        checkLabels(output: output, producer: spec.layers[graph.output])
        checkTensorNames(layers)
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
                if !layer.kind.arity.accepts(from.names.count) {
                    reportArity(layer, from)
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
                let suggestion = Suggestions.didYouMean(name.value, in: Array(resultOf.keys).sorted(), at: name.location)
                diagnostics.error("'output' names '\(name.value)', which is not a layer of this network\(suggestion.text)",
                                  at: name.location, fixIts: suggestion.fixIts)
            }
        }
        return Graph(inputs: inputs, output: output)
    }

    /// A `from:` with too many entries points at the first extra one; too few, at the list.
    private mutating func reportArity(_ layer: LayerSpec, _ from: InputReferences) {
        let arity = layer.kind.arity
        let count = from.names.count
        let prefix = "'\(layer.name)' takes \(arity.description), but 'from'"
        if let maximum = arity.maximum, count > maximum {
            let hint = arity == .one ? [Diagnostic.Note("join them first with 'concat' (along the channels) or 'add'", at: nil)] : []
            diagnostics.error("\(prefix) lists \(count.spelledOut)", at: from.names[maximum].location, notes: hint)
        } else if let only = from.names.first, count == 1 {
            diagnostics.error("\(prefix) \(from.isList ? "lists" : "names") only '\(only.value)'; list them, e.g. from: [\(only.value.quotedIfNeeded), …]",
                              at: from.isList ? from.location : only.location)
        } else {
            diagnostics.error("\(prefix) lists \(count.spelledOut)", at: from.location)
        }
    }

    private mutating func resolve(_ reference: Located<String>, at index: Int, known: [String: Int], firstIndex: [String: Int],
                                  reader: LayerSpec) -> ValueID? {
        let name = reference.value
        if name == NetworkSpec.inputName { return .input }
        if let source = known[name] { return .layer(source) }
        if let later = firstIndex[name] {
            if later == index {
                diagnostics.error("'\(reader.name)' cannot read its own result; 'from' names layers written before it", at: reference.location)
            } else if spec.layers[later].sugarParent == index {
                diagnostics.error("'\(reader.name)' cannot read '\(name)', its own activation, which runs after it; 'from' names layers written before it",
                                  at: reference.location)
            } else {
                diagnostics.error("'\(reader.name)' reads '\(name)', which is written after it; 'from' may only name earlier layers, because the written order is the order they run in",
                                  at: reference.location, notes: [.init("'\(name)' is written here", at: spec.layers[later].location)])
            }
            return nil
        }
        let candidates = [NetworkSpec.inputName] + spec.layers[..<index].map(\.name)
        let suggestion = Suggestions.didYouMean(name, in: candidates, at: reference.location)
        diagnostics.error("'\(reader.name)' reads '\(name)', which is not a layer of this network\(suggestion.text)",
                          at: reference.location, fixIts: suggestion.fixIts)
        return nil
    }

    // MARK: Whole-network checks

    /// `tensor:`, else `weights_prefix` and the name or (`weights_names: sequential`) the position.
    private func tensorPrefix(of layer: LayerSpec, at index: Int) -> String {
        if let tensor = layer.tensor { return tensor.value }
        let base = spec.weightsNames?.value == .sequential ? String(index) : layer.name
        return (spec.weightsPrefix?.value ?? "") + base
    }

    /// Two layers must not bind the same tensors, and `tensor:` must name something.
    private mutating func checkTensorNames(_ layers: [CheckedLayer]) {
        var owner: [String: Int] = [:]  // positions in `layers`: a layer is too big to copy per entry
        for (position, layer) in layers.enumerated() {
            let hasTensors = !layer.operation.rules.parameters(of: layer).isEmpty
            if let tensor = layer.spec.tensor, !hasTensors {
                diagnostics.error("'tensor' names the tensors of '\(layer.name)', but a \(layer.operation.keyword) layer has none", at: tensor.location)
            }
            guard hasTensors else { continue }
            if let earlier = owner[layer.tensorPrefix].map({ layers[$0] }) {
                diagnostics.error("'\(layer.name)' would read the tensors '\(layer.tensorPrefix).…' of '\(earlier.name)'; give one of them another 'tensor:'",
                                  at: layer.spec.tensor?.location ?? layer.spec.location,
                                  notes: [.init("'\(earlier.name)' reads them here", at: earlier.spec.location)])
            } else {
                owner[layer.tensorPrefix] = position
            }
        }
    }

    /// The classes a network ending in `index` produces when that is fixed by the spec alone: a dense
    /// layer's units, through the layers after it that keep the shape. Nil when it depends on shapes.
    private func declaredClasses(at index: Int, graph: Graph) -> Int? {
        var current = index
        for _ in 0..<spec.layers.count {
            switch spec.layers[current].kind {
            case .dense(let dense): return dense.units.value
            case .activation, .dropout, .batchNorm:
                guard let inputs = graph.inputs[current], inputs.count == 1, case .layer(let producer) = inputs[0] else { return nil }
                current = producer
            case .conv, .convTranspose, .maxPool, .avgPool, .globalAvgPool, .globalMaxPool, .flatten, .add, .mul, .concat, .upsample:
                return nil
            }
        }
        return nil
    }

    private mutating func checkLabels(output: FeatureShape, producer: LayerSpec) {
        guard let labels = spec.labels else { return }
        let count = output.channels
        guard labels.value.count != count else { return }
        diagnostics.error("'labels' has \(labels.value.count) entr\(labels.value.count == 1 ? "y" : "ies"), but the network produces \(count) class\(count == 1 ? "" : "es") (\(output))",
                          at: labels.location, notes: [.init("'\(producer.name)' produces \(output) here", at: producer.location)])
    }

    /// Layers whose result never reaches the output are warned about once per dead branch, at the
    /// layer that starts it (the one reading only values that do reach the output).
    private mutating func reportUnused(_ network: CheckedNetwork) {
        for layer in network.layers where !network.reachesOutput[layer.index] {
            let startsBranch = layer.inputs.allSatisfy { value in
                if case .layer(let producer) = value { network.reachesOutput[producer] } else { true }
            }
            guard startsBranch else { continue }
            var branch: Set<Int> = [layer.index]
            var pending = [layer.index]
            while let next = pending.popLast() {
                for reader in network.consumers[next] where branch.insert(reader).inserted { pending.append(reader) }
            }
            let others = branch.count - 1
            let rest = others == 0 ? "" : ", nor do the \(others) layer\(others == 1 ? "" : "s") that depend\(others == 1 ? "s" : "") on it"
            diagnostics.warning("'\(layer.name)' is unused: its result never reaches the output, so it does not run\(rest)",
                                at: layer.spec.location)
        }
    }
}

extension String {
    /// The name as YAML flow text would need it.
    var quotedIfNeeded: String {
        allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) && !isEmpty ? self : "\"" + self + "\""
    }
}
