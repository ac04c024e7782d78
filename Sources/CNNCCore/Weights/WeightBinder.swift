/// Resolves every parameter of a checked network: inline values from the spec first, then tensors of
/// a safetensors file. Every problem is a diagnostic naming the tensor and the layer, at the layer's
/// place in the spec (or at the offending inline list).
public struct WeightBinder {
    public struct Result: Sendable {
        /// Every slot's values, when nothing is missing and there are no errors.
        public var weights: NetworkWeights?
        /// Slots that neither the spec nor the file provides.
        public var missing: [ParameterSlot]
        public var diagnostics: Diagnostics
    }

    /// With `file` nil only the inline values are validated; missing slots are listed, not errors.
    public static func bind(_ network: CheckedNetwork, file: SafeTensorsFile?) -> Result {
        // Values are only materialised from a file or an inline list; a spec with neither stays
        // checkable however large it is.
        let materialises = file != nil || network.layers.contains { $0.spec.kind.inlineParameters.weight != nil || $0.spec.kind.inlineParameters.bias != nil }
        if materialises {
            let limits = WeightLimits.check(network)
            if limits.hasErrors { return Result(weights: nil, missing: [], diagnostics: limits) }
        }
        var binder = WeightBinder(network: network)
        binder.bindInline()
        if let file { binder.bindFile(file) }
        let missing = network.parameterSlots.filter { binder.weights[$0] == nil }
        if let file {
            var hints = TensorHints(network: network, file: file)
            // One error per layer; a tensor present but unusable has its own error already.
            let absent = missing.filter { file.tensor(named: $0.name) == nil }
            for layerIndex in Set(absent.map(\.layerIndex)).sorted() {
                let layer = network.layers[layerIndex]
                let slots = absent.filter { $0.layerIndex == layerIndex }
                let listed = slots.map { "'\($0.name)' \(shapeText($0.shape))" }
                let needs = listed.count == 1 ? "tensor " + listed[0] : "tensors " + listed.dropLast().joined(separator: ", ") + " and " + listed.last!
                binder.diagnostics.error("'\(layer.name)' needs \(needs), which \(file.path) does not have",
                                         at: layer.spec.location, notes: hints.notes(for: slots))
            }
        }
        let complete = missing.isEmpty && !binder.diagnostics.hasErrors
        return Result(weights: complete ? binder.weights : nil, missing: missing, diagnostics: binder.diagnostics)
    }

    let network: CheckedNetwork
    var weights = NetworkWeights()
    var diagnostics = Diagnostics()

    // MARK: Inline values

    private mutating func bindInline() {
        for layer in network.layers {
            let inline = layer.spec.kind.inlineParameters
            let slots = layer.parameterSlots
            if let weight = inline.weight, let slot = slots.first(where: { $0.role == .weight }) {
                bindWeight(weight, slot, layer)
            }
            if let bias = inline.bias, let slot = slots.first(where: { $0.role == .bias }) {
                bindBias(bias, slot, layer)
            }
        }
    }

    /// The full tensor, or for a convolution one `[kh][kw]` filter for every output/input channel pair.
    private mutating func bindWeight(_ inline: InlineWeights, _ slot: ParameterSlot, _ layer: CheckedLayer) {
        var values: [Float]
        let filter = Array(slot.shape.suffix(2))
        let isConvolution = if case .conv = layer.operation { true } else { false }
        if inline.tensor.shape == slot.shape {
            values = inline.tensor.values
        } else if isConvolution, inline.tensor.shape == filter {
            values = Array([[Float]](repeating: inline.tensor.values, count: slot.shape[0] * slot.shape[1]).joined())
        } else {
            let layout: String
            switch layer.operation {
            case .conv: layout = "([out, in/groups, kh, kw]) or one \(shapeText(filter)) filter"
            case .convTranspose: layout = "([in, out/groups, kh, kw])"
            default: layout = "([units, in_features])"
            }
            diagnostics.error("'weight' of '\(layer.name)' has shape \(shapeText(inline.tensor.shape)), but '\(layer.name)' needs \(shapeText(slot.shape)) \(layout)",
                              at: inline.tensor.location)
            return
        }
        if inline.normalize {
            let taps = filter.reduce(1, *)
            let perGroup = slot.shape[1]
            for start in stride(from: 0, to: values.count, by: taps) {
                let sum = values[start..<start + taps].reduce(0, +)
                guard sum != 0 else {
                    let pair = start / taps
                    diagnostics.error("'normalize: true' divides each kernel by its sum, but the sum of kernel [\(pair / perGroup)][\(pair % perGroup)] of '\(layer.name)' is 0",
                                      at: inline.tensor.location)
                    return
                }
                for index in start..<start + taps { values[index] /= sum }
            }
        }
        weights[slot] = values
    }

    private mutating func bindBias(_ bias: InlineTensor, _ slot: ParameterSlot, _ layer: CheckedLayer) {
        let count = slot.count
        guard bias.values.count == count else {
            diagnostics.error("'bias' of '\(layer.name)' has \(bias.values.count) value\(bias.values.count == 1 ? "" : "s"), but '\(layer.name)' has \(count) output\(count == 1 ? "" : "s")",
                              at: bias.location)
            return
        }
        weights[slot] = bias.values
    }

    // MARK: The weights file

    private mutating func bindFile(_ file: SafeTensorsFile) {
        var used: Set<String> = []
        for slot in network.parameterSlots {
            guard let tensor = file.tensor(named: slot.name) else { continue }
            used.insert(slot.name)
            // Inline values win; the file's tensor for that slot is then simply not needed.
            guard weights[slot] == nil else { continue }
            let layer = network.layers[slot.layerIndex]
            guard tensor.shape == slot.shape else {
                diagnostics.error("tensor '\(slot.name)' in \(file.path) has shape \(shapeText(tensor.shape)), but '\(layer.name)' needs \(shapeText(slot.shape))",
                                  at: layer.spec.location)
                continue
            }
            do {
                weights[slot] = try file.floats(slot.name)
            } catch {
                diagnostics.error("\(error.message) (needed by '\(layer.name)')", at: layer.spec.location)
            }
        }
        // PyTorch's BatchNorm counts its training steps; inference has no use for the count.
        let unused = file.names.filter { !used.contains($0) && !$0.hasSuffix(".num_batches_tracked") }
        if unused.count <= 3 {
            for name in unused { diagnostics.warning("tensor '\(name)' in \(file.path) is used by no layer", at: nil) }
        } else {
            // Many at once means the names do not match at all: the errors say why, one line is enough.
            diagnostics.warning("\(unused.count) tensors in \(file.path) are used by no layer: \(unused.prefix(3).map { "'\($0)'" }.joined(separator: ", ")), …", at: nil)
        }
        for range in file.uncoveredDataRanges {
            diagnostics.warning("\(file.path): data bytes [\(range.lowerBound), \(range.upperBound)) belong to no tensor", at: nil)
        }
    }

}

/// "Did you mean" for missing tensors, built once per file: tensors of the right shape and role come
/// first, then near names; and once per file, the spec-level fix when the file's names follow
/// `nn.Sequential` positions or carry a prefix.
struct TensorHints {
    let network: CheckedNetwork
    let file: SafeTensorsFile
    /// Tensors no slot claims, `num_batches_tracked` left out.
    let unclaimed: [String]
    /// Unclaimed tensors by shape and role (the part after the last dot).
    let byShapeAndRole: [String: [String]]
    private var namingHintGiven = false

    init(network: CheckedNetwork, file: SafeTensorsFile) {
        self.network = network
        self.file = file
        let claimed = Set(network.parameterSlots.map(\.name))
        unclaimed = file.names.filter { !claimed.contains($0) && !$0.hasSuffix(".num_batches_tracked") }
        var groups: [String: [String]] = [:]
        for name in unclaimed {
            guard let tensor = file.tensor(named: name) else { continue }
            groups[Self.key(tensor.shape, name.split(separator: ".").last.map(String.init) ?? ""), default: []].append(name)
        }
        byShapeAndRole = groups
    }

    private static func key(_ shape: [Int], _ role: String) -> String { "\(shape) \(role)" }

    /// Hints for a layer's missing tensors: the spec-level naming fix (once per file), then a prefix
    /// under which the file has every one of them with the right shapes, else per-tensor hints.
    mutating func notes(for slots: [ParameterSlot]) -> [Diagnostic.Note] {
        guard let first = slots.first else { return [] }
        var notes: [Diagnostic.Note] = []
        if !namingHintGiven, let naming = namingHint(for: first) {
            notes.append(.init(naming, at: nil))
            namingHintGiven = true
        }
        var prefixes: Set<String>?
        for slot in slots {
            let fitting = Set((byShapeAndRole[Self.key(slot.shape, slot.role.rawValue)] ?? []).map { prefix($0, slot) })
            prefixes = prefixes.map { $0.intersection(fitting) } ?? fitting
        }
        let candidates = (prefixes ?? []).sorted()
        let layerPart = prefix(first.name, first)
        let those = slots.count == 1 ? "that shape" : "those shapes"
        if candidates.count == 1 {
            let names = slots.map { "'\(candidates[0]).\($0.role.rawValue)'" }.joined(separator: ", ")
            notes.append(.init("the file has \(names) of \(those); name the layer '\(candidates[0])' or write tensor: \(quotedIfNeeded(candidates[0])) to use \(slots.count == 1 ? "it" : "them")", at: nil))
        } else if candidates.count > 1 {
            let best = Suggestions.closest(to: layerPart, in: candidates) ?? candidates[0]
            notes.append(.init("the file has \(candidates.count) sets of tensors of \(those), such as '\(best).\(first.role.rawValue)'; name the layer after one of them or write tensor: \(quotedIfNeeded(best))", at: nil))
        } else {
            for slot in slots {
                if let near = Suggestions.closest(to: slot.name, in: unclaimed) {
                    let shape = file.tensor(named: near).map { " \(shapeText($0.shape))" } ?? ""
                    notes.append(.init("for '\(slot.name)', the file has '\(near)'\(shape), but of another shape", at: nil))
                }
            }
        }
        return notes
    }

    private func prefix(_ name: String, _ slot: ParameterSlot) -> String {
        String(name.dropLast(slot.role.rawValue.count + 1))
    }

    /// `weights_names: sequential` when the file's names start with positions and the spec does not
    /// use them; `weights_prefix` when the file has the slot's name behind a common prefix.
    private func namingHint(for slot: ParameterSlot) -> String? {
        let spec = network.spec
        let positional = !unclaimed.isEmpty && unclaimed.allSatisfy { $0.split(separator: ".").first.map { Int($0) != nil } == true }
        if positional, spec.weightsNames?.value != .sequential {
            return "the file's tensors are named by position (\(unclaimed.prefix(2).map { "'\($0)'" }.joined(separator: ", ")), …), as an nn.Sequential's; add 'weights_names: sequential' to the spec"
        }
        let suffix = "." + slot.role.rawValue
        let layerPart = String(slot.name.dropLast(suffix.count))
        if let match = unclaimed.first(where: { $0.hasSuffix("." + layerPart + suffix) }) {
            let prefix = String(match.dropLast(layerPart.count + suffix.count))
            if !prefix.isEmpty { return "the file's names carry the prefix '\(prefix)'; add 'weights_prefix: \(quotedIfNeeded(prefix))' to the spec" }
        }
        return nil
    }

    private func quotedIfNeeded(_ text: String) -> String { SpecWriter.scalar(text) }
}

/// `[3, 1, 5, 5]`, how messages show a tensor shape.
func shapeText(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
