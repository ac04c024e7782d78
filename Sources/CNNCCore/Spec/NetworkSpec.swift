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
    /// The name `from:` uses for the network input; no layer may take it.
    public static let inputName = "input"

    public var path: String
    public var name: Located<String>
    public var input: InputSpec
    public var layers: [LayerSpec]
    /// Where the `layers` key is, for errors about the list as a whole.
    public var layersLocation: SourceLocation
    /// The `weights:` file, relative to the spec file's directory.
    public var weightsPath: Located<String>?
    public var labels: Located<[String]>?
    /// The most entries `layers` may have (docs/spec.md): twice what code is generated for, and
    /// what `summary --format json` handles within the hardening budget (2 s of CPU, 1 GB). With
    /// activation sugar that is at most 20,000 layers of at most 2⁴⁵ MACs each (`ShapeLimits`), so
    /// network totals stay below 2⁶³.
    public static let maximumLayerEntries = 10_000
    /// The most labels a spec may have (docs/spec.md).
    public static let maximumLabels = 65_536
    /// `output:`, the layer whose result the network returns; nil for the last layer.
    public var output: Located<String>?
    /// `weights_names:`, how tensors are named (by layer name, or by position as in an `nn.Sequential`).
    public var weightsNames: Located<TensorNaming>?
    /// `weights_prefix:`, put before every tensor name (`features.`).
    public var weightsPrefix: Located<String>?
}

/// How a layer's tensors are named in a weights file.
public enum TensorNaming: String, CaseIterable, Sendable {
    /// `<layer name>.weight`: the layer names are the state-dict prefixes.
    case names
    /// `<position>.weight`: the layer's 0-based position in the layer list, activation sugar included,
    /// as an `nn.Sequential` numbers its modules.
    case sequential
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
    /// `from:` as written: the names of the values the layer reads. Nil reads the layer written just
    /// before it (or the network input, for the first layer); a sugar layer reads its parent.
    public var from: InputReferences?
    /// `tensor:`, the prefix of this layer's tensors in the weights file, instead of its name.
    public var tensor: Located<String>? = nil
}

/// The entries of a `from:` option, each where it was written.
public struct InputReferences: Sendable {
    public var names: [Located<String>]
    /// The `from` key, for errors about the list as a whole.
    public var location: SourceLocation
    /// False for `from: name`, true for `from: [names]`.
    public var isList: Bool
}

/// How many values a kind reads.
public enum InputArity: Sendable, Equatable {
    case one
    case exactly(Int)
    case atLeast(Int)

    public func accepts(_ count: Int) -> Bool {
        switch self {
        case .one: count == 1
        case .exactly(let n): count == n
        case .atLeast(let n): count >= n
        }
    }

    /// "one input", "exactly two inputs", "at least two inputs".
    public var description: String {
        switch self {
        case .one: "one input"
        case .exactly(let n): "exactly \(n.spelledOut) inputs"
        case .atLeast(let n): "at least \(n.spelledOut) inputs"
        }
    }

    /// The most inputs accepted, if there is a most.
    public var maximum: Int? {
        switch self {
        case .one: 1
        case .exactly(let n): n
        case .atLeast: nil
        }
    }
}

extension Int {
    /// "one" … "ten", then digits.
    var spelledOut: String {
        let words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
        return words.indices.contains(self) ? words[self] : String(self)
    }
}

/// Every layer kind of the spec language; an exhaustive `switch` over it finds every place a new
/// kind must be handled. Each kind's options and their decoding live in `Spec/Layers/`.
/// Indirect: the options of a conv are hundreds of bytes, and a layer (copied into its checked
/// layer) would otherwise carry that much inline whatever its kind (hardening: 10⁵-layer specs).
public indirect enum LayerKind: Sendable {
    case conv(ConvSpec)
    case convTranspose(ConvTransposeSpec)
    case maxPool(PoolSpec)
    case avgPool(PoolSpec)
    case globalAvgPool
    case globalMaxPool
    case activation(Activation)
    case batchNorm(BatchNormSpec)
    case dropout(rate: Float)
    case flatten
    case dense(DenseSpec)
    case add
    case mul
    case concat
    case upsample(UpsampleSpec)

    /// The word the spec uses for the kind; default names are built from it.
    public var keyword: String {
        switch self {
        case .conv: LayerKeyword.conv.rawValue
        case .convTranspose: LayerKeyword.convTranspose.rawValue
        case .maxPool: LayerKeyword.maxPool.rawValue
        case .avgPool: LayerKeyword.avgPool.rawValue
        case .globalAvgPool: LayerKeyword.globalAvgPool.rawValue
        case .globalMaxPool: LayerKeyword.globalMaxPool.rawValue
        case .activation(let activation): activation.keyword
        case .batchNorm: LayerKeyword.batchNorm.rawValue
        case .dropout: LayerKeyword.dropout.rawValue
        case .flatten: LayerKeyword.flatten.rawValue
        case .dense: LayerKeyword.dense.rawValue
        case .add: LayerKeyword.add.rawValue
        case .mul: LayerKeyword.mul.rawValue
        case .concat: LayerKeyword.concat.rawValue
        case .upsample: LayerKeyword.upsample.rawValue
        }
    }

    /// How many values the kind reads.
    public var arity: InputArity {
        switch self {
        case .add, .concat: .atLeast(2)
        case .mul: .exactly(2)
        case .conv, .convTranspose, .maxPool, .avgPool, .globalAvgPool, .globalMaxPool, .activation, .batchNorm, .dropout,
             .flatten, .dense, .upsample:
            .one
        }
    }
}

extension LayerKind {
    /// Values written in the spec for the layer's `weight` and `bias` tensors.
    public var inlineParameters: (weight: InlineWeights?, bias: InlineTensor?) {
        switch self {
        case .conv(let spec): (spec.weight, spec.bias.inline)
        case .convTranspose(let spec): (spec.weight, spec.bias.inline)
        case .dense(let spec): (spec.weight, spec.bias.inline)
        case .maxPool, .avgPool, .globalAvgPool, .globalMaxPool, .activation, .batchNorm, .dropout, .flatten, .add, .mul, .concat,
             .upsample:
            (nil, nil)
        }
    }
}

/// Every word that starts a layer, in the order the docs list them. The decoder switches over it
/// exhaustively, so a word without a decoder does not compile.
public enum LayerKeyword: String, CaseIterable, Sendable {
    case conv
    case convTranspose = "conv_transpose"
    case maxPool = "maxpool"
    case avgPool = "avgpool"
    case globalAvgPool = "global_avgpool"
    case globalMaxPool = "global_maxpool"
    case relu, relu6
    case leakyReLU = "leaky_relu"
    case elu, sigmoid, tanh, gelu, silu, softmax
    case batchNorm = "batchnorm"
    case dropout, flatten, dense
    case add, mul, concat, upsample

    /// Kinds that accept `activation:` sugar.
    public var takesActivationSugar: Bool {
        switch self {
        case .conv, .convTranspose, .dense, .add, .mul: true
        case .maxPool, .avgPool, .globalAvgPool, .globalMaxPool, .relu, .relu6, .leakyReLU, .elu, .sigmoid, .tanh, .gelu,
             .silu, .softmax, .batchNorm, .dropout, .flatten, .concat, .upsample:
            false
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

    /// The mode a keyword names (`constant` with value 0); nil for any other word.
    public init?(keyword: String) {
        switch keyword {
        case "zeros": self = .zeros
        case "constant": self = .constant(0)
        case "reflect": self = .reflect
        case "replicate": self = .replicate
        case "circular": self = .circular
        default: return nil
        }
    }

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

extension NetworkSpec {
    /// Whether `text` may be a network or layer name: 1–128 Unicode scalars without control
    /// characters, line breaks or bidirectional controls.
    public static func isValidName(_ text: String) -> Bool { ValueDecoder.isValidName(text) }
}
