import CNNCRuntime

/// Per-layer costs and receptive fields of a checked network, and the totals.
public struct NetworkAnalysis: Sendable {
    public var layers: [LayerAnalysis]
    /// Learnable parameters, as PyTorch's `parameters()` counts them.
    public var parameters: Int
    /// Stored values that are not learned (batchnorm running statistics).
    public var buffers: Int
    /// float32 bytes of everything stored: parameters and buffers.
    public var weightBytes: Int { (parameters + buffers) * 4 }
    public var macs: Int
    /// The largest input + output activation pair of any layer, batch 1, float32.
    public var peakActivationBytes: Int

    public init(_ network: CheckedNetwork) {
        var layers: [LayerAnalysis] = []
        var field = ReceptiveField.identity(input: network.input)
        for layer in network.layers {
            field = field.after(layer.operation, input: layer.input)
            layers.append(LayerAnalysis(layer: layer, receptiveField: field))
        }
        self.layers = layers
        parameters = layers.reduce(0) { $0 + $1.parameters }
        buffers = layers.reduce(0) { $0 + $1.buffers }
        macs = layers.reduce(0) { $0 + $1.macs }
        peakActivationBytes = network.layers.map { ($0.input.count + $0.output.count) * 4 }.max() ?? network.input.count * 4
    }
}

public struct LayerAnalysis: Sendable {
    public var parameters: Int
    public var buffers: Int
    /// One multiply-accumulate per kernel tap per output element; 0 for layers without weights.
    public var macs: Int
    /// The receptive field of the layer's output units in the network input.
    public var receptiveField: ReceptiveField

    init(layer: CheckedLayer, receptiveField: ReceptiveField) {
        self.receptiveField = receptiveField
        let output = layer.output
        switch layer.operation {
        case .conv(let conv):
            let taps = conv.inChannelsPerGroup * conv.window.kernel.height * conv.window.kernel.width
            parameters = conv.outChannels * taps + (conv.hasBias ? conv.outChannels : 0)
            buffers = 0
            macs = output.count * taps
        case .dense(let dense):
            parameters = dense.inFeatures * dense.outFeatures + (dense.hasBias ? dense.outFeatures : 0)
            buffers = 0
            macs = dense.inFeatures * dense.outFeatures
        case .batchNorm:
            // Scale and shift are learned; the running mean and variance are stored buffers.
            parameters = 2 * output.channels
            buffers = 2 * output.channels
            macs = 0
        case .maxPool, .avgPool, .globalAvgPool, .globalMaxPool, .activation, .dropout, .flatten:
            parameters = 0
            buffers = 0
            macs = 0
        }
    }
}

/// Receptive field per axis by the recurrences of Araujo, Norris & Sim, "Computing Receptive Fields of
/// Convolutional Neural Networks" (Distill, 2019), unclipped: with `extent = dilation·(kernel−1)+1`,
///
///     size   = size₀ + (extent − 1)·jump₀
///     jump   = jump₀ · stride
///     centre = centre₀ + ((extent − 1)/2 − padBefore)·jump₀
///
/// where `centre` is the centre of the first output unit's field in input pixel coordinates (pixel
/// centres at 0, 1, …). Layers that see their whole input (`flatten`, `dense`, global pools, and every
/// layer after them) are global: size is the input side, and jump and centre are undefined.
public struct ReceptiveField: Hashable, Sendable {
    public struct Axis: Hashable, Sendable {
        public var size: Int
        public var jump: Int
        public var centre: Double
    }

    public var height: Axis
    public var width: Axis
    public var isGlobal: Bool

    static func identity(input: FeatureShape) -> ReceptiveField {
        // A global field keeps the network input's sides, which `identity` remembers through `inputSides`.
        ReceptiveField(height: Axis(size: 1, jump: 1, centre: 0), width: Axis(size: 1, jump: 1, centre: 0),
                       isGlobal: false, inputSides: Pair(input.height, input.width))
    }

    /// The network input's sides, reported as the size of a global field.
    public var inputSides: Pair

    func after(_ operation: Operation, input: FeatureShape) -> ReceptiveField {
        guard !isGlobal else { return self }
        switch operation {
        case .conv(let conv):
            return through(conv.window)
        case .maxPool(let window), .avgPool(let window, _):
            return through(window)
        case .globalAvgPool, .globalMaxPool, .flatten, .dense:
            return globalField
        case .activation, .batchNorm, .dropout:
            return self
        }
    }

    private func through(_ window: Window) -> ReceptiveField {
        func step(_ axis: Axis, extent: Int, stride: Int, padBefore: Int) -> Axis? {
            let (growth, overflow1) = (extent - 1).multipliedReportingOverflow(by: axis.jump)
            let (size, overflow2) = axis.size.addingReportingOverflow(growth)
            let (jump, overflow3) = axis.jump.multipliedReportingOverflow(by: stride)
            guard !overflow1, !overflow2, !overflow3 else { return nil }
            return Axis(size: size, jump: jump,
                        centre: axis.centre + (Double(extent - 1) / 2 - Double(padBefore)) * Double(axis.jump))
        }
        let extent = window.extent
        guard let height = step(height, extent: extent.height, stride: window.stride.height, padBefore: window.padding.top),
              let width = step(width, extent: extent.width, stride: window.stride.width, padBefore: window.padding.left) else {
            // Strides far beyond the input multiply past Int; such a field covers the input anyway.
            return globalField
        }
        return ReceptiveField(height: height, width: width, isGlobal: false, inputSides: inputSides)
    }

    private var globalField: ReceptiveField {
        ReceptiveField(height: Axis(size: inputSides.height, jump: 0, centre: 0),
                       width: Axis(size: inputSides.width, jump: 0, centre: 0), isGlobal: true, inputSides: inputSides)
    }
}
