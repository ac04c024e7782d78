import CNNCRuntime

/// `mul`: the element-wise product of two inputs of one shape, or of a C×H×W input and a C×1×1 one
/// that scales each channel (the squeeze-and-excitation gate), in either order.
public struct Multiply: Hashable, Sendable {
    /// The input (0 or 1) that is C×1×1 and broadcasts over the other's plane; nil when both have one shape.
    public var gateInput: Int?

    static func check(_ context: inout ShapeContext) -> (Multiply, FeatureShape)? {
        let a = context.inputs[0], b = context.inputs[1]
        if a.shape == b.shape { return (Multiply(gateInput: nil), a.shape) }
        for (gate, other, index) in [(b, a, 1), (a, b, 0)] where gate.shape.isVector && gate.shape.channels == other.shape.channels {
            return (Multiply(gateInput: index), other.shape)
        }
        // Point at the input that cannot be right: a C×1×1 gate with the wrong channel count, else the second.
        let offending = a.shape.isVector && !b.shape.isVector ? a : b
        let hint = a.shape.isVector || b.shape.isVector
            ? "a C×1×1 gate must have the other input's channels"
            : "give both one shape, or make one of them C×1×1 to scale each channel"
        context.error("'\(context.name)' multiplies \(a.producer) (\(a.shape)) by \(b.producer) (\(b.shape)); \(hint)",
                      at: offending.reference, notes: ShapeContext.distinctNotes(context.inputs))
        return nil
    }
}

extension Multiply: OperatorRules {
    public var keyword: String { "mul" }
    public func parameters(of layer: CheckedLayer) -> [ParameterShape] { [] }
    public func macs(of layer: CheckedLayer) -> Int { 0 }
    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField { .merging(inputs) }
    public var summaryDescription: String { gateInput == nil ? "mul" : "mul, per channel" }
    public var jsonOptions: [(String, JSONValue)] {
        gateInput.map { [("broadcast_input", .integer($0 + 1))] } ?? []
    }
}
