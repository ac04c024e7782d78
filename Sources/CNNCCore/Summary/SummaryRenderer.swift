import CNNCRuntime

/// The per-layer summary as a table (terminal), Markdown, or JSON (the stable form tools read).
public struct SummaryRenderer: Sendable {
    public enum Format: String, CaseIterable, Sendable {
        case table, json, markdown
    }

    /// Version of the JSON layout; bumped only by incompatible changes (docs/summary-json.md).
    public static let jsonSchema = "cnnc.summary/2"

    public let network: CheckedNetwork
    public let analysis: NetworkAnalysis
    /// The buffers of the execution plan generated code follows, and its steps' layers.
    let buffers: [ExecutionPlan.Buffer]
    let steps: [[Int]]
    /// Bytes of the arena generated code allocates: intermediate tensors, padded copies and scratch
    /// (the input and the output are the caller's).
    public let arenaBytes: Int
    /// Bytes of the largest set of those buffers alive at the same step; no placement needs less.
    public let lowerBoundBytes: Int

    public init(network: CheckedNetwork) {
        self.network = network
        self.analysis = NetworkAnalysis(network)
        let plan = ExecutionPlan(network: network)
        buffers = plan.buffers
        steps = plan.steps.map(\.layers)
        arenaBytes = plan.arenaCount * 4
        lowerBoundBytes = plan.lowerBoundCount * 4
    }

    public func render(_ format: Format) -> String {
        switch format {
        case .table: table(markdown: false)
        case .markdown: table(markdown: true)
        case .json: json().rendered() + "\n"
        }
    }

    // MARK: Table and Markdown

    /// The columns; `from` only when the network is not a chain.
    private var headers: [String] {
        ["#", "name", "layer", "output", "params", "MACs", "receptive field", "jump"] + (network.isChain ? [] : ["from"])
    }

    /// Columns aligned right: numbers.
    private static let numeric: Set<Int> = [0, 4, 5, 7]

    private func rows() -> [[String]] {
        let extra = network.isChain ? [] : [""]
        var rows = [["", "input", "", shapeText(network.input), "", "", "", ""] + extra]
        for (layer, cost) in zip(network.layers, analysis.layers) {
            let (field, jump) = Self.receptiveFieldText(cost.receptiveField, inputSides: Pair(network.input.height, network.input.width))
            let name = network.reachesOutput[layer.index] ? layer.name : layer.name + " (unused)"
            var row = [String(layer.index + 1), name, layer.operation.summaryDescription, shapeText(layer.output),
                       cost.parameters.grouped, cost.macs.grouped, field, jump]
            if !network.isChain { row.append(layer.inputs.map(network.name(of:)).joined(separator: ", ")) }
            rows.append(row)
        }
        return rows
    }

    /// The table's receptive-field and jump cells: `5×5`, `4–5×5` where the size varies from unit to
    /// unit, `(unaligned)` after branches centred differently, `1/2` for a fractional jump.
    static func receptiveFieldText(_ field: ReceptiveField, inputSides: Pair) -> (String, String) {
        switch field {
        case .global:
            return ("\(inputSides.height)×\(inputSides.width) (global)", "–")
        case .unaligned:
            return ("unaligned", "–")
        case .untracked:
            return ("–", "–")
        case .local(let height, let width, let aligned):
            func sizes(_ axis: AxisField) -> String {
                guard let range = axis.sizes else { return "0" }
                return range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)–\(range.upperBound)"
            }
            let jump = height.jump == width.jump ? "\(height.jump)" : "\(height.jump)×\(width.jump)"
            return ("\(sizes(height))×\(sizes(width))" + (aligned ? "" : " (unaligned)"), jump)
        }
    }

    private func shapeText(_ shape: FeatureShape) -> String {
        shape.height == 1 && shape.width == 1 ? "\(shape.channels)" : shape.description
    }

    private func table(markdown: Bool) -> String {
        let rows = rows()
        var out = markdown ? "## \(markdownEscaped(network.name))\n\n" : ""
        if !markdown {
            out += "\(network.name) (\(network.spec.path))\n\n"
        }
        if markdown {
            out += "| " + headers.joined(separator: " | ") + " |\n"
            out += "|" + headers.indices.map { Self.numeric.contains($0) ? "---:|" : "---|" }.joined() + "\n"
            for row in rows {
                out += "| " + row.map(markdownEscaped).joined(separator: " | ") + " |\n"
            }
            out += "\n"
        } else {
            let widths = headers.indices.map { column in
                max(headers[column].count, rows.map { $0[column].count }.max() ?? 0)
            }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { column, cell in
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    return Self.numeric.contains(column) ? padding + cell : cell + padding
                }.joined(separator: "  ").trailingSpacesRemoved + "\n"
            }
            let rule = String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1)) + "\n"
            out += line(headers) + rule
            for row in rows { out += line(row) }
            out += rule
        }
        out += totals(markdown: markdown)
        return out
    }

    private func totals(markdown: Bool) -> String {
        let buffersNote = analysis.buffers > 0 ? " + \(analysis.buffers.grouped) batchnorm running statistics" : ""
        let lines: [(String, String)] = [
            ("Parameters", analysis.parameters.grouped),
            ("Weight memory", "\(analysis.weightBytes.grouped) bytes (\(Self.sizeNote(analysis.weightBytes))float32\(buffersNote))"),
            ("MACs", "\(analysis.macs.grouped) per inference"),
            ("Activation arena", "\(arenaBytes.grouped) bytes (\(Self.sizeNote(arenaBytes))batch 1, as placed for generated code)"),
            ("Lower bound", "\(lowerBoundBytes.grouped) bytes (\(Self.sizeNote(lowerBoundBytes))the largest set of tensors alive at once)"),
            ("Input → output", "\(network.input) → \(network.output)"),
        ]
        let width = lines.map(\.0.count).max()! + 1
        return lines.map { name, value in
            markdown ? "- **\(name)**: \(value)\n" : (name + ":").padding(to: width) + " " + value + "\n"
        }.joined()
    }

    private func markdownEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if "|\\`*_[]<>".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// `5.9 KiB, ` for the totals' parentheses; nothing below 1 KiB, where it would repeat the count.
    static func sizeNote(_ count: Int) -> String {
        count < 1024 ? "" : bytes(count) + ", "
    }

    /// `5.9 KiB`, `1.2 MiB`.
    static func bytes(_ count: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(count) bytes" }
        let tenths = (value * 10).rounded() / 10
        return "\(tenths) \(units[unit])"
    }

    // MARK: JSON

    public func json() -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("schema", .string(Self.jsonSchema)),
            ("name", .string(network.name)),
            ("spec", .string(network.spec.path)),
            ("input_shape", shapeJSON(network.input)),
            ("output_shape", shapeJSON(network.output)),
        ]
        if let preprocess = network.spec.input.preprocess {
            members.append(("preprocess", .object([
                ("scale", .float(preprocess.scale)),
                ("mean", .array(preprocess.mean.map(JSONValue.float))),
                ("std", .array(preprocess.std.map(JSONValue.float))),
            ])))
        }
        if let weights = network.spec.weightsPath {
            members.append(("weights", .string(weights.value)))
        }
        if let labels = network.spec.labels {
            members.append(("labels", .array(labels.value.map(JSONValue.string))))
        }
        members.append(("output", .string(network.layers[network.outputLayer].name)))
        members.append(("layers", .array(zip(network.layers, analysis.layers).map(layerJSON))))
        members.append(("totals", .object([
            ("parameters", .integer(analysis.parameters)),
            ("buffers", .integer(analysis.buffers)),
            ("weight_bytes", .integer(analysis.weightBytes)),
            ("macs", .integer(analysis.macs)),
            ("arena_bytes", .integer(arenaBytes)),
            ("activation_lower_bound_bytes", .integer(lowerBoundBytes)),
        ])))
        members.append(("memory_plan", memoryPlanJSON()))
        return .object(members)
    }

    private func shapeJSON(_ shape: FeatureShape) -> JSONValue {
        .array([.integer(shape.channels), .integer(shape.height), .integer(shape.width)])
    }

    private func layerJSON(_ layer: CheckedLayer, _ cost: LayerAnalysis) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("index", .integer(layer.index + 1)),
            ("name", .string(layer.name)),
            ("kind", .string(layer.operation.keyword)),
            ("line", .integer(layer.spec.location.start.line)),
            ("column", .integer(layer.spec.location.start.column)),
        ]
        if let parent = layer.spec.sugarParent {
            members.append(("activation_of", .string(network.layers[parent].name)))
        }
        if !layer.parameterSlots.isEmpty {
            members.append(("tensor_prefix", .string(layer.tensorPrefix)))
        }
        members += [
            ("inputs", .array(layer.inputs.map { .string(network.name(of: $0)) })),
            ("unused", .bool(!network.reachesOutput[layer.index])),
            ("description", .string(layer.operation.summaryDescription)),
            ("input_shape", shapeJSON(layer.input)),
            ("output_shape", shapeJSON(layer.output)),
            ("options", .object(layer.operation.rules.jsonOptions)),
            ("parameters", .integer(cost.parameters)),
            ("buffers", .integer(cost.buffers)),
            ("macs", .integer(cost.macs)),
            ("receptive_field", receptiveFieldJSON(cost.receptiveField)),
        ]
        return .object(members)
    }

    private func receptiveFieldJSON(_ field: ReceptiveField) -> JSONValue {
        switch field {
        case .global:
            return .object([("global", .bool(true)), ("size", .array([.integer(network.input.height), .integer(network.input.width)]))])
        case .unaligned:
            return .object([("global", .bool(false)), ("aligned", .bool(false))])
        case .untracked:
            return .object([("global", .bool(false)), ("aligned", .bool(true)), ("tracked", .bool(false))])
        case .local(let height, let width, let aligned):
            func sizes(_ bound: (ClosedRange<Int>) -> Int) -> JSONValue {
                .array([height, width].map { .integer($0.sizes.map(bound) ?? 0) })
            }
            func pattern(_ axis: AxisField) -> JSONValue {
                .object([
                    ("period", .integer(axis.period)),
                    ("step", .integer(axis.step)),
                    ("spans", .array(axis.spans.map { span in span.map { .array([.integer($0.low), .integer($0.high)]) } ?? .null })),
                ])
            }
            let varies = [height, width].contains { $0.sizes.map { $0.lowerBound != $0.upperBound } ?? false }
            return .object([
                ("global", .bool(false)),
                ("aligned", .bool(aligned)),
                ("size", sizes(\.upperBound)),
            ] + (varies ? [("size_min", sizes(\.lowerBound))] : []) + [
                ("jump", .array([height, width].map { .array([.integer($0.jump.numerator), .integer($0.jump.denominator)]) })),
                ("centre", .array([height, width].map { $0.centre.map(JSONValue.number) ?? .null })),
                ("pattern", .object([("height", pattern(height)), ("width", pattern(width))])),
            ])
        }
    }

    /// Every buffer of the arena with its place and lifetime (steps numbered from 1, in execution order).
    private func memoryPlanJSON() -> JSONValue {
        .object([
            ("arena_bytes", .integer(arenaBytes)),
            ("lower_bound_bytes", .integer(lowerBoundBytes)),
            ("steps", .array(steps.map { layers in .array(layers.map { .string(network.layers[$0].name) }) })),
            ("buffers", .array(buffers.map { buffer in
                .object([
                    ("purpose", .string(buffer.purpose)),
                    ("offset_bytes", .integer(buffer.offset * 4)),
                    ("bytes", .integer(buffer.floats * 4)),
                    ("first_step", .integer(buffer.firstStep + 1)),
                    ("last_step", .integer(buffer.lastStep + 1)),
                ])
            })),
        ])
    }
}

extension String {
    var trailingSpacesRemoved: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }

    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
