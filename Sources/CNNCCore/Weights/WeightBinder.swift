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
        var binder = WeightBinder(network: network)
        binder.bindInline()
        if let file { binder.bindFile(file) }
        let missing = network.parameterSlots.filter { binder.weights[$0] == nil }
        if let file {
            // A tensor present but unusable has its own error already.
            for slot in missing where file.tensor(named: slot.name) == nil {
                let layer = network.layers[slot.layerIndex]
                binder.diagnostics.error(
                    "'\(layer.name)' needs tensor '\(slot.name)' \(shapeText(slot.shape)), which \(file.path) does not have",
                    at: layer.spec.location, notes: binder.similarTensorNote(slot, in: file))
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
                bindBias(bias, count: slot.count, layer)
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

    private mutating func bindBias(_ bias: InlineTensor, count: Int, _ layer: CheckedLayer) {
        guard bias.values.count == count else {
            diagnostics.error("'bias' of '\(layer.name)' has \(bias.values.count) value\(bias.values.count == 1 ? "" : "s"), but '\(layer.name)' has \(count) output\(count == 1 ? "" : "s")",
                              at: bias.location)
            return
        }
        weights[name: "\(layer.name).bias"] = bias.values
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
        for name in file.names where !used.contains(name) {
            diagnostics.warning("tensor '\(name)' in \(file.path) is used by no layer", at: nil)
        }
        for range in file.uncoveredDataRanges {
            diagnostics.warning("\(file.path): data bytes [\(range.lowerBound), \(range.upperBound)) belong to no tensor", at: nil)
        }
    }

    /// "did you mean" for a missing tensor: a file tensor of the same shape and role, or a near name.
    private func similarTensorNote(_ slot: ParameterSlot, in file: SafeTensorsFile) -> [Diagnostic.Note] {
        let candidates = file.names.filter { !network.parameterSlots.map(\.name).contains($0) }
        if let near = Suggestions.closest(to: slot.name, in: candidates) {
            return [.init("the file has '\(near)'; rename the layer or the tensor", at: nil)]
        }
        let sameShape = candidates.filter { file.tensor(named: $0)?.shape == slot.shape && $0.hasSuffix("." + slot.role.rawValue) }
        if sameShape.count == 1 {
            return [.init("the file has '\(sameShape[0])' of that shape; name the layer '\(sameShape[0].dropLast(slot.role.rawValue.count + 1))' to use it", at: nil)]
        }
        return []
    }
}

/// `[3, 1, 5, 5]`, how messages show a tensor shape.
func shapeText(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
