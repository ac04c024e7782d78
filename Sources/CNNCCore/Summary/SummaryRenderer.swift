import CNNCRuntime

/// The per-layer summary as a table (terminal), Markdown, or JSON (the stable form tools read).
public struct SummaryRenderer: Sendable {
    public enum Format: String, CaseIterable, Sendable {
        case table, json, markdown
    }

    /// Version of the JSON layout; bumped only by incompatible changes (docs/summary-json.md).
    public static let jsonSchema = "cnnc.summary/2"

    /// The table's columns; `from` appears only for a network that is not a chain.
    public enum Column: String, CaseIterable, Sendable {
        case index, name, layer, input, kernel, output, params, macs, receptiveField = "rf", jump, from

        var header: String {
            switch self {
            case .index: "#"
            case .name: "name"
            case .layer: "layer"
            case .input: "input"
            case .kernel: "kernel"
            case .output: "output"
            case .params: "params"
            case .macs: "MACs"
            case .receptiveField: "receptive field"
            case .jump: "jump"
            case .from: "from"
            }
        }

        var isNumeric: Bool { self == .index || self == .params || self == .macs || self == .jump }
    }

    /// Which columns a table shows: those that fit a width (optional ones dropped first, then long
    /// descriptions shortened with "…"), or exactly the ones named.
    public enum Columns: Sendable {
        case fitting(width: Int)
        case only([Column])

        /// The width used when standard output is not a terminal.
        public static let defaultWidth = 100
    }

    public let network: CheckedNetwork
    public let analysis: NetworkAnalysis
    /// Samples per inference: scales the mult-adds and the activation sizes of the totals.
    public let batch: Int
    /// The buffers of the execution plan generated code follows, and its steps' layers.
    let buffers: [ExecutionPlan.Buffer]
    let steps: [[Int]]
    /// Bytes of the arena generated code allocates: intermediate tensors, padded copies and scratch
    /// (the input and the output are the caller's).
    public let arenaBytes: Int
    /// Bytes of the largest set of those buffers alive at the same step; no placement needs less.
    public let lowerBoundBytes: Int
    /// Bytes of static memory generated code fills on its first call: Winograd's transformed
    /// weights (once per process, whatever the batch).
    public let preparedBytes: Int
    /// Whether some of them are another kernel's packing, which only AVX-512 compilations
    /// compute (in place of Winograd's transform, whose room is reserved too).
    let preparesAVX512Packing: Bool

    public init(network: CheckedNetwork, batch: Int = 1) {
        self.init(network: network, batch: batch, order: .fastest)
    }

    /// The summary of generated code planned in `order` (an inferencer built with `--reference-order`
    /// has no prepared weights).
    init(network: CheckedNetwork, batch: Int = 1, order: ExecutionPlan.SummationOrder) {
        self.network = network
        self.batch = max(1, batch)
        self.analysis = NetworkAnalysis(network)
        let plan = ExecutionPlan(network: network, order: order)
        buffers = plan.buffers
        steps = plan.steps.map(\.layers)
        arenaBytes = plan.arenaCount * 4
        lowerBoundBytes = plan.lowerBoundCount * 4
        preparedBytes = plan.preparedCount * 4
        preparesAVX512Packing = plan.slices.contains {
            switch $0.contents {
            case .prepared(_, .channelLanePacking): true
            case .prepared(_, .winogradFilters), .embedded: false
            }
        }
    }

    /// torchinfo's size block, for `batch` samples: the inputs, the arenas (one per sample in flight),
    /// and their sum with the weights and the prepared weights (once per process).
    private var inputBytes: Int { network.input.count * 4 * batch }
    private var forwardBytes: Int { arenaBytes * batch }
    private var estimatedTotalBytes: Int { inputBytes + forwardBytes + analysis.weightBytes + preparedBytes }

    public func render(_ format: Format, columns: Columns = .fitting(width: Columns.defaultWidth)) -> String {
        switch format {
        case .table: table(markdown: false, columns: columns)
        case .markdown:
            // Markdown is rendered, not read in a terminal: every column unless told otherwise.
            if case .only = columns { table(markdown: true, columns: columns) } else { table(markdown: true, columns: .only(Column.allCases)) }
        case .json: json().rendered() + "\n"
        }
    }

    // MARK: Table and Markdown

    private var applicableColumns: [Column] {
        Column.allCases.filter { $0 != .from || !network.isChain }
    }

    private func rows() -> [[Column: String]] {
        var rows: [[Column: String]] = [[.name: "input", .output: shapeText(network.input)]]
        for (layer, cost) in zip(network.layers, analysis.layers) {
            let (field, jump) = Self.receptiveFieldText(cost.receptiveField, inputSides: Pair(network.input.height, network.input.width))
            let name = network.reachesOutput[layer.index] ? layer.name : layer.name + " (unused)"
            let weight = layer.operation.rules.parameters(of: layer).first { $0.role == .weight }
            rows.append([
                .index: String(layer.index + 1), .name: name, .layer: layer.operation.summaryDescription,
                .input: layer.inputShapes.map(shapeText).joined(separator: " + "),
                .kernel: weight.map { $0.shape.map(String.init).joined(separator: "×") } ?? "–",
                .output: shapeText(layer.output), .params: cost.parameters.grouped, .macs: (cost.macs * batch).grouped,
                .receptiveField: field, .jump: jump,
                .from: layer.inputs.map(network.name(of:)).joined(separator: ", "),
            ])
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

    /// `C×H×W`, or just `F` for a flat F×1×1 tensor — everywhere in the summary.
    private func shapeText(_ shape: FeatureShape) -> String {
        shape.height == 1 && shape.width == 1 ? "\(shape.channels)" : shape.description
    }

    /// The columns to show and the widest each may be.
    private func layout(_ rows: [[Column: String]], _ columns: Columns) -> (columns: [Column], widths: [Column: Int]) {
        func natural(_ column: Column) -> Int {
            max(column.header.count, rows.map { $0[column]?.count ?? 0 }.max() ?? 0)
        }
        switch columns {
        case .only(let chosen):
            let shown = chosen.filter(applicableColumns.contains)
            return (shown, Dictionary(uniqueKeysWithValues: shown.map { ($0, natural($0)) }))
        case .fitting(let width):
            var shown = applicableColumns
            var widths = Dictionary(uniqueKeysWithValues: shown.map { ($0, natural($0)) })
            func total() -> Int { shown.reduce(0) { $0 + widths[$1]! } + 2 * (shown.count - 1) }
            for optional in [Column.input, .kernel, .jump, .receptiveField] where total() > width {
                shown.removeAll { $0 == optional }
            }
            for (column, minimum) in [(Column.layer, 16), (.from, 12), (.name, 12)] where shown.contains(column) && total() > width {
                widths[column] = max(minimum, widths[column]! - (total() - width))
            }
            return (shown, widths)
        }
    }

    private func table(markdown: Bool, columns: Columns) -> String {
        let rows = rows()
        let (shown, widths) = layout(rows, columns)
        func cell(_ row: [Column: String], _ column: Column) -> String {
            let text = row[column] ?? ""
            let limit = widths[column]!
            return text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
        }
        var out = markdown ? "## \(markdownEscaped(network.name))\n\n" : ""
        if !markdown {
            out += "\(network.name) (\(network.spec.path))\(batch > 1 ? ", batch \(batch)" : "")\n\n"
        }
        if markdown {
            out += "| " + shown.map(\.header).joined(separator: " | ") + " |\n"
            out += "|" + shown.map { $0.isNumeric ? "---:|" : "---|" }.joined() + "\n"
            for row in rows {
                out += "| " + shown.map { markdownEscaped(cell(row, $0)) }.joined(separator: " | ") + " |\n"
            }
            out += "\n"
        } else {
            func line(_ cells: [(Column, String)]) -> String {
                cells.map { column, text in
                    let padding = String(repeating: " ", count: max(0, widths[column]! - text.count))
                    return column.isNumeric ? padding + text : text + padding
                }.joined(separator: "  ").trailingSpacesRemoved + "\n"
            }
            let rule = String(repeating: "─", count: shown.reduce(0) { $0 + widths[$1]! } + 2 * (shown.count - 1)) + "\n"
            out += line(shown.map { ($0, $0.header) }) + rule
            for row in rows { out += line(shown.map { ($0, cell(row, $0)) }) }
            out += rule
        }
        out += totals(markdown: markdown)
        return out
    }

    /// torchinfo's totals for inference: parameters by kind, mult-adds, and the sizes of the input,
    /// the activations (the arena generated code uses), the parameters, the prepared weights generated
    /// code adds, and their sum.
    private func totals(markdown: Bool) -> String {
        let perBatch = batch > 1 ? " for a batch of \(batch)" : " per inference"
        var lines: [(String, String)] = [
            ("Total params", analysis.parameters.grouped),
            ("Trainable params", analysis.trainableParameters.grouped),
            ("Fixed params", analysis.fixedParameters.grouped + " (given inline in the spec)"),
            ("Non-trainable values", analysis.buffers.grouped + " (batchnorm running statistics)"),
            ("Mult-adds", "\((analysis.macs * batch).grouped) (\(Self.multAdds(analysis.macs * batch)))\(perBatch)"),
            ("Input size", Self.bytesText(inputBytes)),
            ("Forward pass size", Self.bytesText(forwardBytes, "activation arena\(batch > 1 ? " × \(batch)" : "")")),
            ("Params size", Self.bytesText(analysis.weightBytes, "float32")),
            ("Prepared weights", Self.bytesText(preparedBytes, preparesAVX512Packing
                ? "Winograd or AVX-512 packing, by the first call" : "Winograd-transformed by the first call")),
            ("Estimated total size", Self.bytesText(estimatedTotalBytes)),
            ("Activation lower bound", Self.bytesText(lowerBoundBytes, "largest set alive at once")),
            ("Input → output", "\(shapeText(network.input)) → \(shapeText(network.output))"),
        ]
        if analysis.fixedParameters == 0 { lines.remove(at: 2) }
        if analysis.buffers == 0 { lines.removeAll { $0.0 == "Non-trainable values" } }
        if preparedBytes == 0 { lines.removeAll { $0.0 == "Prepared weights" } }
        let width = lines.map(\.0.count).max()! + 1
        return lines.map { name, value in
            markdown ? "- **\(name)**: \(value)\n" : (name + ":").padding(to: width) + " " + value + "\n"
        }.joined()
    }

    /// `0.42 M`, `3.1 G`: mult-adds as torchinfo prints them.
    static func multAdds(_ count: Int) -> String {
        if count >= 1_000_000_000 { return String(format2: Double(count) / 1e9) + " G" }
        return String(format2: Double(count) / 1e6) + " M"
    }

    /// `78,336 bytes (76.5 KiB; note)`; below 1 KiB no unit repeats the count.
    static func bytesText(_ count: Int, _ note: String? = nil) -> String {
        let parts = (count < 1024 ? [] : [bytes(count)]) + (note.map { [$0] } ?? [])
        return "\(count.grouped) bytes" + (parts.isEmpty ? "" : " (" + parts.joined(separator: "; ") + ")")
    }

    private func markdownEscaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if "|\\`*_[]<>".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
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
            ("trainable_parameters", .integer(analysis.trainableParameters)),
            ("fixed_parameters", .integer(analysis.fixedParameters)),
            ("buffers", .integer(analysis.buffers)),
            ("weight_bytes", .integer(analysis.weightBytes)),
            ("macs", .integer(analysis.macs)),
            ("arena_bytes", .integer(arenaBytes)),
            ("activation_lower_bound_bytes", .integer(lowerBoundBytes)),
            ("batch", .integer(batch)),
            ("mult_adds", .integer(analysis.macs * batch)),
            ("input_bytes", .integer(inputBytes)),
            ("forward_pass_bytes", .integer(forwardBytes)),
            ("params_bytes", .integer(analysis.weightBytes)),
            ("prepared_weight_bytes", .integer(preparedBytes)),
            ("estimated_total_bytes", .integer(estimatedTotalBytes)),
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
            ("input_shapes", .array(layer.inputShapes.map(shapeJSON))),
            ("output_shape", shapeJSON(layer.output)),
            ("kernel_shape", layer.operation.rules.parameters(of: layer).first { $0.role == .weight }
                .map { .array($0.shape.map(JSONValue.integer)) } ?? .null),
            ("options", .object(layer.operation.rules.jsonOptions)),
            ("parameters", .integer(cost.parameters)),
            ("fixed_parameters", .integer(cost.fixedParameters)),
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
    /// Two decimals, for mult-adds in millions or billions.
    init(format2 value: Double) {
        let hundredths = Int((value * 100).rounded())
        self = "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }

    var trailingSpacesRemoved: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }

    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
