import CNNCRuntime

/// `add`: the element-wise sum of two or more inputs of one shape, added in the order listed
/// (`((a + b) + c) + …`). The residual connection of ResNets and inverted-residual blocks.
public struct Add: Hashable, Sendable {
    static func check(_ context: inout ShapeContext) -> (Add, FeatureShape)? {
        let name = context.name
        let agreed = context.reportMismatches(of: { $0 }) { odd, others in
            "'\(name)' needs inputs of one shape, but \(odd.describes) and \(others)"
        }
        return agreed.map { (Add(), $0) }
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

    /// For layers whose inputs must agree on `key`: the agreed shape of the first input, or nil after
    /// an error at every input that differs from the most common value (the first input's on a tie).
    /// `message` gets the odd input and a description of the others ("'a' produces 32×8×8", or "the
    /// other inputs 32×8×8").
    mutating func reportMismatches<Key: Hashable>(of key: (FeatureShape) -> Key,
                                                  _ message: (Input, String) -> String) -> FeatureShape? {
        var counts: [Key: Int] = [:]
        for input in inputs { counts[key(input.shape), default: 0] += 1 }
        guard counts.count > 1 else { return inputs[0].shape }
        let majority = inputs.map { key($0.shape) }.max { counts[$0]! < counts[$1]! }!  // the first of the largest
        let agreeing = inputs.filter { key($0.shape) == majority }
        let others = agreeing.count == 1 ? agreeing[0].describes : "the other inputs \(agreeing[0].shape)"
        for odd in inputs where key(odd.shape) != majority {
            error(message(odd, others), at: odd.reference, notes: Self.distinctNotes(inputs))
        }
        return nil
    }
}
