import CNNCRuntime

/// `add`: the element-wise sum of two or more inputs of one shape, added in the order listed
/// (`((a + b) + c) + …`). The residual connection of ResNets and inverted-residual blocks.
public struct Add: Hashable, Sendable {
    static func check(_ context: inout ShapeContext) -> (Add, FeatureShape)? {
        let first = context.inputs[0]
        var failed = false
        for other in context.inputs.dropFirst() where other.shape != first.shape {
            context.error("'\(context.name)' adds inputs of one shape, but \(other.producer) produces \(other.shape) and \(first.producer), its first input, \(first.shape)",
                          at: other.reference, notes: ShapeContext.distinctNotes(context.inputs))
            failed = true
        }
        return failed ? nil : (Add(), first.shape)
    }
}

extension Add: OperatorRules {
    public var keyword: String { "add" }
    public func parameters(of layer: CheckedLayer) -> [ParameterShape] { [] }
    public func macs(of layer: CheckedLayer) -> Int { 0 }
    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField { .merging(inputs) }
    public var summaryDescription: String { "add" }
    public var jsonOptions: [(String, JSONValue)] { [] }
}

extension ShapeContext {
    /// A note at each producer with its shape, one per distinct value.
    static func distinctNotes(_ inputs: [Input]) -> [Diagnostic.Note] {
        var seen: Set<ValueID> = []
        return inputs.filter { seen.insert($0.value).inserted }.map(\.producerNote)
    }
}
