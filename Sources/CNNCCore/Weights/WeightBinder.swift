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
            switch (layer.operation, layer.spec.kind) {
            case (.conv(let conv), .conv(let spec)):
                if let inline = spec.weight {
                    bindConvWeight(inline, conv, layer)
                }
                if let bias = spec.bias.inline {
                    bindBias(bias, count: conv.outChannels, layer)
                }
            case (.dense(let dense), .dense(let spec)):
                if let inline = spec.weight {
                    let expected = [dense.outFeatures, dense.inFeatures]
                    if inline.tensor.shape == expected {
                        weights[name: "\(layer.name).weight"] = inline.tensor.values
                    } else {
                        diagnostics.error("'weight' of '\(layer.name)' has shape \(shapeText(inline.tensor.shape)), but '\(layer.name)' needs \(shapeText(expected)) ([units, in_features])",
                                          at: inline.tensor.location)
                    }
                }
                if let bias = spec.bias.inline {
                    bindBias(bias, count: dense.outFeatures, layer)
                }
            default:
                break
            }
        }
    }

    /// `[out][in/groups][kh][kw]`, or one `[kh][kw]` filter for every output/input channel pair.
    private mutating func bindConvWeight(_ inline: InlineWeights, _ conv: Convolution, _ layer: CheckedLayer) {
        let kernel = conv.window.kernel
        let full = [conv.outChannels, conv.inChannelsPerGroup, kernel.height, kernel.width]
        let filter = [kernel.height, kernel.width]
        var values: [Float]
        switch inline.tensor.shape {
        case full:
            values = inline.tensor.values
        case filter:
            values = Array([[Float]](repeating: inline.tensor.values, count: conv.outChannels * conv.inChannelsPerGroup).joined())
        default:
            diagnostics.error("'weight' of '\(layer.name)' has shape \(shapeText(inline.tensor.shape)), but '\(layer.name)' needs \(shapeText(full)) ([out, in/groups, kh, kw]) or one \(shapeText(filter)) filter",
                              at: inline.tensor.location)
            return
        }
        if inline.normalize {
            let taps = kernel.height * kernel.width
            for start in stride(from: 0, to: values.count, by: taps) {
                let sum = values[start..<start + taps].reduce(0, +)
                guard sum != 0 else {
                    let pair = start / taps
                    diagnostics.error("'normalize: true' divides each kernel by its sum, but the sum of kernel [\(pair / conv.inChannelsPerGroup)][\(pair % conv.inChannelsPerGroup)] of '\(layer.name)' is 0",
                                      at: inline.tensor.location)
                    return
                }
                for index in start..<start + taps { values[index] /= sum }
            }
        }
        weights[name: "\(layer.name).weight"] = values
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
