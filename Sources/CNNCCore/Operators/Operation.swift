import CNNCRuntime

/// A layer with every option resolved to numbers. Each case carries its operation's own type, whose
/// file in `Operators/` states its shape rule, weight slots, cost, receptive-field step and summary
/// text. A new kind is a new case and a new file; the compiler then lists every stage that must
/// handle it (the switches below, the interpreter's and the execution plan's).
public enum Operation: Sendable {
    case conv(Convolution)
    case convTranspose(TransposedConvolution)
    case pool(Pooling)
    case globalPool(GlobalPooling)
    case activation(Activation)
    case batchNorm(BatchNormalization)
    case dropout(Dropout)
    case flatten(Flatten)
    case dense(Dense)
    case add(Add)
    case mul(Multiply)
    case concat(Concatenation)
    case upsample(Upsampling)

    /// The operation's own type, which answers every stage's questions: the analyses' (`OperatorRules`,
    /// in `Operators/`), the interpreter's (`ReferenceSemantics`, in `Interpreter/Operators/`) and the
    /// code generator's (`Lowering`, in `CodeGen/Lowering/`) and the ONNX exporter's (`ONNXExporting`, in
    /// `ONNX/Export/`). The one switch over every kind.
    var implementation: any OperatorRules & ReferenceSemantics & Lowering & ONNXExporting {
        switch self {
        case .conv(let operation): operation
        case .convTranspose(let operation): operation
        case .pool(let operation): operation
        case .globalPool(let operation): operation
        case .activation(let operation): operation
        case .batchNorm(let operation): operation
        case .dropout(let operation): operation
        case .flatten(let operation): operation
        case .dense(let operation): operation
        case .add(let operation): operation
        case .mul(let operation): operation
        case .concat(let operation): operation
        case .upsample(let operation): operation
        }
    }

    /// The operation's answers to the analyses' questions.
    public var rules: any OperatorRules { implementation }

    /// The spec's word for the kind.
    public var keyword: String { rules.keyword }
    /// `conv 3×3, stride 2, pad 1 reflect, groups 4`.
    public var summaryDescription: String { rules.summaryDescription }
}

/// What every operation states about itself, each in its own file.
public protocol OperatorRules: Sendable {
    /// The spec's word for the kind (`conv`, `add`, …).
    var keyword: String { get }
    /// The tensors the layer needs, in PyTorch's layouts and order, and how `init-weights` fills them.
    func parameters(of layer: CheckedLayer) -> [ParameterShape]
    /// Multiply-accumulates of one inference (docs/spec.md, "Costs"); 0 for layers without weights.
    func macs(of layer: CheckedLayer) -> Int
    /// The receptive field of the output units, from the fields of the inputs (in input order).
    func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField
    /// The table's "layer" text: the kind and its key options, defaults left out.
    var summaryDescription: String { get }
    /// Every resolved option, for the JSON summary (docs/summary-json.md).
    var jsonOptions: [(String, JSONValue)] { get }
}

/// One tensor a layer needs, before it is named.
public struct ParameterShape: Hashable, Sendable {
    public var role: ParameterRole
    public var shape: [Int]
    public var initial: InitialValues

    public init(_ role: ParameterRole, _ shape: [Int], _ initial: InitialValues) {
        self.role = role
        self.shape = shape
        self.initial = initial
    }
}

/// How `cnnc init-weights` fills a tensor (docs/weights.md).
public enum InitialValues: Hashable, Sendable {
    /// He-normal: standard deviation √(2 / fanIn).
    case heNormal(fanIn: Int)
    case ones
    case zeros
}

/// Sizes every shape rule keeps within, so later products of shapes stay within Int.
public enum ShapeLimits {
    /// The largest activation tensor or weight tensor (elements) the checker accepts.
    public static let maximumElements = 1 << 40
    /// The most multiply-accumulates one layer may need, so network totals stay within Int.
    public static let maximumLayerMACs = 1 << 45

    /// The product, or nil when it overflows or exceeds `maximumElements`.
    static func product(_ factors: Int...) -> Int? {
        product(of: factors)
    }

    /// The product of an array of non-negative factors, or nil beyond `maximumElements`.
    static func product(of factors: [Int]) -> Int? {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: factor)
            guard factor >= 0, !overflow, next <= maximumElements else { return nil }
            product = next
        }
        return product
    }
}

/// The parts of summaries shared by several operations.
enum OptionsJSON {
    static func pair(_ pair: Pair) -> JSONValue { .array([.integer(pair.height), .integer(pair.width)]) }

    static func padding(_ padding: Padding) -> JSONValue {
        .array([.integer(padding.top), .integer(padding.bottom), .integer(padding.left), .integer(padding.right)])
    }

    static func window(_ window: Window) -> [(String, JSONValue)] {
        [("kernel", pair(window.kernel)), ("stride", pair(window.stride)), ("dilation", pair(window.dilation)),
         ("padding", padding(window.padding))]
    }
}
