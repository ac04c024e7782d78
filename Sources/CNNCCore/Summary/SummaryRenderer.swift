import CNNCRuntime

/// The per-layer summary as a table (terminal), Markdown, or JSON (the stable form tools read).
public struct SummaryRenderer: Sendable {
    public enum Format: String, CaseIterable, Sendable {
        case table, json, markdown
    }

    /// Version of the JSON layout; bumped only by incompatible changes (docs/summary-json.md).
    public static let jsonSchema = "cnnc.summary/1"

    public let network: CheckedNetwork
    public let analysis: NetworkAnalysis

    public init(network: CheckedNetwork) {
        self.network = network
        self.analysis = NetworkAnalysis(network)
    }

    public func render(_ format: Format) -> String {
        switch format {
        case .table: table(markdown: false)
        case .markdown: table(markdown: true)
        case .json: json().rendered() + "\n"
        }
    }

    // MARK: Table and Markdown

    private static let headers = ["#", "name", "layer", "output", "params", "MACs", "receptive field", "jump"]
    /// Columns aligned right: numbers.
    private static let numeric: Set<Int> = [0, 4, 5, 7]

    private func rows() -> [[String]] {
        var rows = [["", "input", "", shapeText(network.input), "", "", "", ""]]
        for (layer, cost) in zip(network.layers, analysis.layers) {
            let field = cost.receptiveField
            let fieldText = field.isGlobal
                ? "\(field.inputSides.height)×\(field.inputSides.width) (global)"
                : "\(field.height.size)×\(field.width.size)"
            let jumpText = field.isGlobal ? "–" : (field.height.jump == field.width.jump ? "\(field.height.jump)" : "\(field.height.jump)×\(field.width.jump)")
            rows.append([String(layer.index + 1), layer.name, layer.operation.summaryDescription, shapeText(layer.output),
                         cost.parameters.grouped, cost.macs.grouped, fieldText, jumpText])
        }
        return rows
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
            out += "| " + Self.headers.joined(separator: " | ") + " |\n"
            out += "|" + Self.headers.indices.map { Self.numeric.contains($0) ? "---:|" : "---|" }.joined() + "\n"
            for row in rows {
                out += "| " + row.map(markdownEscaped).joined(separator: " | ") + " |\n"
            }
            out += "\n"
        } else {
            let widths = Self.headers.indices.map { column in
                max(Self.headers[column].count, rows.map { $0[column].count }.max() ?? 0)
            }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { column, cell in
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    return Self.numeric.contains(column) ? padding + cell : cell + padding
                }.joined(separator: "  ").trailingSpacesRemoved + "\n"
            }
            let rule = String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1)) + "\n"
            out += line(Self.headers) + rule
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
            ("Peak activations", "\(analysis.peakActivationBytes.grouped) bytes (\(Self.sizeNote(analysis.peakActivationBytes))batch 1, largest input + output pair)"),
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
        members.append(("layers", .array(zip(network.layers, analysis.layers).map(layerJSON))))
        members.append(("totals", .object([
            ("parameters", .integer(analysis.parameters)),
            ("buffers", .integer(analysis.buffers)),
            ("weight_bytes", .integer(analysis.weightBytes)),
            ("macs", .integer(analysis.macs)),
            ("peak_activation_bytes", .integer(analysis.peakActivationBytes)),
        ])))
        return .object(members)
    }

    private func shapeJSON(_ shape: FeatureShape) -> JSONValue {
        .array([.integer(shape.channels), .integer(shape.height), .integer(shape.width)])
    }

    private func layerJSON(_ layer: CheckedLayer, _ cost: LayerAnalysis) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("index", .integer(layer.index)),
            ("name", .string(layer.name)),
            ("kind", .string(layer.operation.keyword)),
            ("line", .integer(layer.spec.location.start.line)),
            ("column", .integer(layer.spec.location.start.column)),
        ]
        if let parent = layer.spec.sugarParent {
            members.append(("activation_of", .string(network.layers[parent].name)))
        }
        members += [
            ("description", .string(layer.operation.summaryDescription)),
            ("input_shape", shapeJSON(layer.input)),
            ("output_shape", shapeJSON(layer.output)),
            ("options", .object(optionsJSON(layer.operation))),
            ("parameters", .integer(cost.parameters)),
            ("buffers", .integer(cost.buffers)),
            ("macs", .integer(cost.macs)),
            ("receptive_field", receptiveFieldJSON(cost.receptiveField)),
        ]
        return .object(members)
    }

    private func optionsJSON(_ operation: Operation) -> [(String, JSONValue)] {
        func pair(_ pair: Pair) -> JSONValue { .array([.integer(pair.height), .integer(pair.width)]) }
        func window(_ window: Window) -> [(String, JSONValue)] {
            let padding = window.padding
            return [
                ("kernel", pair(window.kernel)),
                ("stride", pair(window.stride)),
                ("dilation", pair(window.dilation)),
                ("padding", .array([.integer(padding.top), .integer(padding.bottom), .integer(padding.left), .integer(padding.right)])),
            ]
        }
        switch operation {
        case .conv(let conv):
            var members: [(String, JSONValue)] = [
                ("in_channels", .integer(conv.inChannels)),
                ("out_channels", .integer(conv.outChannels)),
            ]
            members += window(conv.window)
            members.append(("padding_mode", .string(conv.paddingMode.keyword)))
            if case .constant(let value) = conv.paddingMode { members.append(("padding_value", .float(value))) }
            members += [("groups", .integer(conv.groups)), ("bias", .bool(conv.hasBias))]
            return members
        case .maxPool(let pool):
            return window(pool) + [("ceil_mode", .bool(pool.ceilMode))]
        case .avgPool(let pool, let countIncludePad):
            return window(pool) + [("ceil_mode", .bool(pool.ceilMode)), ("count_include_pad", .bool(countIncludePad))]
        case .activation(.leakyReLU(let alpha)), .activation(.elu(let alpha)):
            return [("alpha", .float(alpha))]
        case .batchNorm(let eps):
            return [("eps", .float(eps))]
        case .dropout(let rate):
            return [("rate", .float(rate))]
        case .dense(let dense):
            return [("in_features", .integer(dense.inFeatures)), ("out_features", .integer(dense.outFeatures)),
                    ("bias", .bool(dense.hasBias))]
        case .globalAvgPool, .globalMaxPool, .activation, .flatten:
            return []
        }
    }

    private func receptiveFieldJSON(_ field: ReceptiveField) -> JSONValue {
        if field.isGlobal {
            return .object([("global", .bool(true)), ("size", .array([.integer(field.inputSides.height), .integer(field.inputSides.width)]))])
        }
        return .object([
            ("global", .bool(false)),
            ("size", .array([.integer(field.height.size), .integer(field.width.size)])),
            ("jump", .array([.integer(field.height.jump), .integer(field.width.jump)])),
            ("centre", .array([.number(field.height.centre), .number(field.width.centre)])),
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
