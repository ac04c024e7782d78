import CNNCRuntime

/// A plain, obviously-correct executor of any checked network: the oracle the generated code is
/// tested against. Clarity beats speed here; each operation's loops (in `Interpreter/Operators/`)
/// follow docs/spec.md's definitions directly.
///
/// Arithmetic is float32 throughout. Accumulation order, for reproducibility: a convolution sums over
/// the input channels of its group, then kernel rows, then kernel columns, each ascending, starting
/// from 0, and adds the bias last; a transposed convolution sums, for each output, over the input
/// channels of its group, then kernel rows, then kernel columns that reach it, and adds the bias
/// last; a dense layer sums over its inputs ascending and adds the bias last; each term is added with
/// a fused multiply-add (one rounding), as the generated kernels do, so both round alike. Average
/// pooling sums the window row by row, then divides. `add` sums its inputs in the order listed.
public struct ReferenceInterpreter: Sendable {
    public let network: CheckedNetwork
    public let weights: NetworkWeights

    /// `weights` must hold every slot of `network.parameterSlots` with its exact element count.
    public init(network: CheckedNetwork, weights: NetworkWeights) {
        for slot in network.parameterSlots {
            precondition(weights[slot]?.count == slot.count, "missing or mis-sized weights for \(slot.name)")
        }
        self.network = network
        self.weights = weights
    }

    /// Runs one sample (C, H, W order) through every layer that reaches the output, in order, and
    /// returns the output layer's result. A value is dropped after its last reader.
    public func run(_ input: [Float]) -> [Float] {
        precondition(input.count == network.input.count, "input has \(input.count) values, expected \(network.input.count)")
        var lastReader: [ValueID: Int] = [:]
        for layer in network.layers where network.reachesOutput[layer.index] {
            for value in layer.inputs { lastReader[value] = layer.index }
        }
        var values: [ValueID: [Float]] = [.input: input]
        for layer in network.layers where network.reachesOutput[layer.index] {
            values[.layer(layer.index)] = apply(layer, to: layer.inputs.map { values[$0]! })
            for value in Set(layer.inputs) where lastReader[value] == layer.index { values[value] = nil }
        }
        return values[.layer(network.outputLayer)]!
    }

    /// Runs `count` samples laid out one after another.
    public func run(batch input: [Float], count: Int) -> [Float] {
        let sampleSize = network.input.count
        var output: [Float] = []
        output.reserveCapacity(count * network.output.count)
        for sample in 0..<count {
            output += run(Array(input[sample * sampleSize..<(sample + 1) * sampleSize]))
        }
        return output
    }

    /// The output of one layer from the values of its inputs; exposed for tests.
    public func apply(_ layer: CheckedLayer, to inputs: [[Float]]) -> [Float] {
        let tensors = zip(layer.inputShapes, inputs).map { Tensor3(shape: $0, values: $1) }
        let parameters = LayerParameters(weights: weights, layer: layer)
        return layer.operation.reference.evaluate(tensors, layer: layer, parameters: parameters)
    }
}

/// The reference semantics of one operation, each in its own file.
protocol ReferenceSemantics {
    /// The layer's output (C, H, W order) from its inputs, in input order.
    func evaluate(_ inputs: [Tensor3], layer: CheckedLayer, parameters: LayerParameters) -> [Float]
}

extension Operation {
    var reference: any ReferenceSemantics { implementation }
}

/// One layer's tensors by role.
struct LayerParameters {
    let weights: NetworkWeights
    let layer: CheckedLayer

    subscript(_ role: ParameterRole) -> [Float]? { weights[name: layer.tensorName(role)] }
}

/// One sample's activations with C, H, W indexing and the padding rules of docs/spec.md.
struct Tensor3 {
    let shape: FeatureShape
    let values: [Float]

    subscript(_ channel: Int, _ row: Int, _ column: Int) -> Float {
        values[(channel * shape.height + row) * shape.width + column]
    }

    func plane(_ channel: Int) -> ArraySlice<Float> {
        let size = shape.height * shape.width
        return values[channel * size..<(channel + 1) * size]
    }

    /// The input index a padded index copies under reflect, replicate or circular padding.
    static func source(_ index: Int, _ size: Int, _ mode: PaddingMode) -> Int {
        guard index < 0 || index >= size else { return index }
        switch mode {
        case .reflect:
            // The checker guarantees pad < size, so one reflection suffices.
            return index < 0 ? -index : 2 * (size - 1) - index
        case .replicate:
            return min(max(index, 0), size - 1)
        case .circular:
            return ((index % size) + size) % size
        case .zeros, .constant:
            preconditionFailure("no source pixel for \(mode) padding")
        }
    }
}
