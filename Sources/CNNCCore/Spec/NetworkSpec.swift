/// A value from the spec together with where it was written (or, for a default, where it would go).
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Equatable where Value: Equatable {}

/// A spec file as written, decoded but not yet checked for shapes.
public struct NetworkSpec: Sendable {
    public var path: String
    public var name: Located<String>
    public var input: InputSpec
    public var layers: [LayerSpec]
    /// Where the `layers` key is, for errors about the list as a whole.
    public var layersLocation: SourceLocation
    /// The `weights:` file, relative to the spec file's directory.
    public var weightsPath: Located<String>?
    public var labels: Located<[String]>?
}

public struct InputSpec: Sendable {
    public var channels: Located<Int>
    public var height: Located<Int>
    public var width: Located<Int>
    public var preprocess: PreprocessSpec?
    /// The `input` key.
    public var location: SourceLocation
}

/// `x' = (x·scale − mean[c]) / std[c]` for image inputs whose pixels were mapped to [0, 1].
public struct PreprocessSpec: Sendable, Equatable {
    public var scale: Float = 1
    /// One value for every channel, or one per channel.
    public var mean: [Float] = [0]
    public var std: [Float] = [1]
    public var location: SourceLocation
}

/// One layer of the `layers:` list, or one added by `activation:` sugar.
public struct LayerSpec: Sendable {
    /// The explicit or default name (`conv1`, `relu2`, …).
    public var name: String
    /// Where an explicit `name:` was written; nil for a default name.
    public var nameLocation: SourceLocation?
    /// The kind key (`conv` in `- conv: {…}`) or the bare kind; shape errors of the layer point here.
    public var location: SourceLocation
    public var kind: LayerKind
    /// For a layer written as `activation:` of another, the index of that layer.
    public var sugarParent: Int?
}

/// Every layer kind of the spec language; an exhaustive `switch` over it finds every place a new
/// kind must be handled.
public enum LayerKind: Sendable {
    case conv(ConvSpec)
    case maxPool(PoolSpec)
    case avgPool(PoolSpec)
    case globalAvgPool
    case globalMaxPool
    case activation(Activation)
    case batchNorm(BatchNormSpec)
    case dropout(rate: Float)
    case flatten
    case dense(DenseSpec)

    /// The word the spec uses for the kind; default names are built from it.
    public var keyword: String {
        switch self {
        case .conv: "conv"
        case .maxPool: "maxpool"
        case .avgPool: "avgpool"
        case .globalAvgPool: "global_avgpool"
        case .globalMaxPool: "global_maxpool"
        case .activation(let activation): activation.keyword
        case .batchNorm: "batchnorm"
        case .dropout: "dropout"
        case .flatten: "flatten"
        case .dense: "dense"
        }
    }
}

/// Activation functions; `softmax` runs over the channels at each position, the rest element-wise.
public enum Activation: Hashable, Sendable {
    case relu
    case relu6
    case leakyReLU(alpha: Float)
    case elu(alpha: Float)
    case sigmoid
    case tanh
    /// The exact form, `x·Φ(x)` with the error function.
    case gelu
    case silu
    case softmax

    public static let keywords = ["relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "softmax"]

    public var keyword: String {
        switch self {
        case .relu: "relu"
        case .relu6: "relu6"
        case .leakyReLU: "leaky_relu"
        case .elu: "elu"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .gelu: "gelu"
        case .silu: "silu"
        case .softmax: "softmax"
        }
    }
}

/// Two sides of a 2-D window: `kernel: 3` is 3×3, `kernel: [3, 5]` is 3 high and 5 wide.
public struct Pair: Hashable, Sendable, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    public init(square side: Int) {
        self.init(side, side)
    }

    public var description: String { height == width ? "\(height)" : "\(height)×\(width)" }
}

/// Padding as written; `same` and `valid` are resolved against the input by the shape checker.
public enum PaddingSpec: Hashable, Sendable {
    case explicit(Padding)
    case same
    case valid
}

/// Resolved padding per side, in pixels.
public struct Padding: Hashable, Sendable, CustomStringConvertible {
    public var top: Int
    public var bottom: Int
    public var left: Int
    public var right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
    }

    public static let zero = Padding(top: 0, bottom: 0, left: 0, right: 0)

    public var isZero: Bool { self == .zero }

    /// `1`, `1×2` (vertical × horizontal), or `[t, b, l, r]` when the sides differ.
    public var description: String {
        if top == bottom, left == right { return top == left ? "\(top)" : "\(top)×\(left)" }
        return "[\(top), \(bottom), \(left), \(right)]"
    }
}

/// How a convolution fills the pixels beyond the border.
public enum PaddingMode: Hashable, Sendable {
    case zeros
    case constant(Float)
    /// Mirror without repeating the edge pixel: `c b | a b c | b a`.
    case reflect
    /// Repeat the edge pixel: `a a | a b c | c c`.
    case replicate
    /// Wrap around: `b c | a b c | a b`.
    case circular

    public static let keywords = ["zeros", "constant", "reflect", "replicate", "circular"]

    public var keyword: String {
        switch self {
        case .zeros: "zeros"
        case .constant: "constant"
        case .reflect: "reflect"
        case .replicate: "replicate"
        case .circular: "circular"
        }
    }
}

public struct ConvSpec: Sendable {
    public var outChannels: Located<Int>
    public var kernel: Located<Pair>
    public var stride: Located<Pair>
    public var padding: Located<PaddingSpec>
    public var paddingMode: Located<PaddingMode>
    public var dilation: Located<Pair>
    public var groups: Located<Int>
    public var bias: BiasSpec
    /// `in_channels:`, checked against the channels that reach the layer.
    public var inChannels: Located<Int>?
    public var weight: InlineWeights?
}

public struct PoolSpec: Sendable {
    public var kernel: Located<Pair>
    /// Defaults to the kernel.
    public var stride: Located<Pair>
    public var padding: Located<PaddingSpec>
    public var ceilMode: Bool
    /// Required for `avgpool` whose resolved padding is not zero; never meaningful for `maxpool`.
    public var countIncludePad: Located<Bool>?
}

public struct BatchNormSpec: Sendable {
    public var eps: Float
}

public struct DenseSpec: Sendable {
    public var units: Located<Int>
    public var bias: BiasSpec
    /// `in_features:`, checked against the features that reach the layer.
    public var inFeatures: Located<Int>?
    public var weight: InlineWeights?
}

/// `bias: true|false`, or the values themselves.
public struct BiasSpec: Sendable {
    public var enabled: Bool
    public var inline: InlineTensor?
    public var location: SourceLocation?

    public init(enabled: Bool, inline: InlineTensor? = nil, location: SourceLocation? = nil) {
        self.enabled = enabled
        self.inline = inline
        self.location = location
    }
}

/// `weight:` written in the spec, and whether to divide each kernel by its sum.
public struct InlineWeights: Sendable {
    public var tensor: InlineTensor
    public var normalize: Bool
}

/// A nested list of numbers from the spec: its nesting gives the shape.
public struct InlineTensor: Sendable {
    public var shape: [Int]
    public var values: [Float]
    public var location: SourceLocation
}
