import CNNCRuntime

/// A spec whose every layer has a known input and output shape and resolved options: what the
/// analyses, the interpreter and the code generator consume.
public struct CheckedNetwork: Sendable {
    public var spec: NetworkSpec
    public var input: FeatureShape
    public var layers: [CheckedLayer]

    public var name: String { spec.name.value }
    public var output: FeatureShape { layers.last?.output ?? input }
}

public struct CheckedLayer: Sendable {
    /// Position in `CheckedNetwork.layers` (and in `NetworkSpec.layers`).
    public var index: Int
    public var spec: LayerSpec
    public var operation: Operation
    public var input: FeatureShape
    public var output: FeatureShape

    public var name: String { spec.name }
}

/// A layer with every option resolved to numbers. Each case is one layer kind; a new kind is added
/// here and the compiler then lists every stage that must handle it.
public enum Operation: Sendable {
    case conv(Convolution)
    case maxPool(Window)
    case avgPool(Window, countIncludePad: Bool)
    case globalAvgPool
    case globalMaxPool
    case activation(Activation)
    case batchNorm(eps: Float)
    /// Identity at inference.
    case dropout(rate: Float)
    /// C×H×W → (C·H·W)×1×1 in C, H, W order.
    case flatten
    case dense(Dense)
}

/// The geometry of a sliding window, shared by convolution and pooling.
public struct Window: Hashable, Sendable {
    public var kernel: Pair
    public var stride: Pair
    public var dilation: Pair
    /// Resolved per side; `same` and `valid` are already turned into numbers.
    public var padding: Padding
    public var ceilMode: Bool

    /// The span one window covers, dilation included: `dilation·(kernel−1) + 1`.
    public var extent: Pair {
        Pair(dilation.height * (kernel.height - 1) + 1, dilation.width * (kernel.width - 1) + 1)
    }
}

public struct Convolution: Hashable, Sendable {
    public var window: Window
    public var inChannels: Int
    public var outChannels: Int
    public var groups: Int
    public var paddingMode: PaddingMode
    public var hasBias: Bool

    public var inChannelsPerGroup: Int { inChannels / groups }
    public var outChannelsPerGroup: Int { outChannels / groups }
    public var isDepthwise: Bool { groups == inChannels && groups > 1 }
}

public struct Dense: Hashable, Sendable {
    public var inFeatures: Int
    public var outFeatures: Int
    public var hasBias: Bool
}

/// Output size along one axis (PyTorch's rule): `floor((in + before + after − extent) / stride) + 1`, with
/// ceil under `ceilMode`, dropping a last window that would start inside the end padding. Nil when the
/// window does not fit in the padded input.
public func windowOutputSize(input: Int, extent: Int, stride: Int, padBefore: Int, padAfter: Int, ceilMode: Bool) -> Int? {
    let span = input + padBefore + padAfter - extent
    guard span >= 0 else { return nil }
    var output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    if ceilMode, (output - 1) * stride >= input + padBefore { output -= 1 }
    return output
}

/// `same` padding along one axis: output `ceil(in / stride)`, total padding
/// `max(0, (out−1)·stride + extent − in)`, the odd pixel after (ONNX SAME_UPPER, TensorFlow).
public func samePadding(input: Int, extent: Int, stride: Int) -> (before: Int, after: Int) {
    let output = (input + stride - 1) / stride
    let total = max(0, (output - 1) * stride + extent - input)
    return (total / 2, total - total / 2)
}

extension CheckedNetwork {
    /// What the network offers to inputs and outputs: shapes, image preprocessing, labels.
    public var interface: NetworkInterface {
        let preprocess = spec.input.preprocess.map { Preprocess(scale: $0.scale, mean: $0.mean, std: $0.std) } ?? .identity
        return NetworkInterface(inputShape: input, outputShape: output, preprocess: preprocess, labels: spec.labels?.value)
    }
}
