import CNNCKernels
import CNNCRuntime

/// How one operation becomes kernel calls, each in its own file. The plan builder forms the fused
/// groups (`FusedGroup`) from what each operation accepts into its step, then asks the group's first
/// layer to lower it.
protocol Lowering {
    /// What may join this operation's step.
    var fusion: Fusion { get }
    /// True for operations that move no data (`dropout`, `flatten`): their result is a view of their input.
    var isView: Bool { get }
    /// Appends the group's kernels through `builder`.
    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder)
}

extension Lowering {
    var fusion: Fusion { [] }
    var isView: Bool { false }
}

/// Followers a producer can absorb when it is their only input and nothing else reads it.
struct Fusion: OptionSet {
    let rawValue: Int
    /// A batchnorm folded into the weights and bias.
    static let foldsBatchnorm = Fusion(rawValue: 1)
    /// An element-wise activation applied as results are stored.
    static let activationEpilogue = Fusion(rawValue: 2)
    /// An `add` of this result and an existing value, added as results are stored.
    static let residual = Fusion(rawValue: 4)
}

/// A producer and the layers fused into its step, in the order they apply:
/// producer → batchnorm → residual add → activation.
struct FusedGroup {
    var head: CheckedLayer
    var batchnorm: CheckedLayer?
    /// The `add` and its other operand.
    var residual: (layer: CheckedLayer, other: ValueID)?
    var activation: (layer: CheckedLayer, function: ActivationFunction)?
    /// Every layer of the group, head first.
    var layers: [Int]
    /// The layer whose result the group produces.
    var tail: CheckedLayer

    /// The epilogue activation, identity when none was fused.
    var epilogue: ActivationFunction { activation?.function ?? .identity }
}

extension Operation {
    var lowering: any Lowering { implementation }
}
