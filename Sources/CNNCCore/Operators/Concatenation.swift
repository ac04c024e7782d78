import CNNCRuntime

/// `concat`: inputs of equal height and width joined along the channels, in the order listed.
public struct Concatenation: Hashable, Sendable {
    /// Channels of each input.
    public var channels: [Int]

    static func check(_ context: inout ShapeContext) -> (Concatenation, FeatureShape)? {
        let first = context.inputs[0]
        var failed = false
        for other in context.inputs.dropFirst() where (other.shape.height, other.shape.width) != (first.shape.height, first.shape.width) {
            context.error("'\(context.name)' joins its inputs along the channels, so their heights and widths must match, but \(other.producer) produces \(other.shape) and \(first.producer), its first input, \(first.shape)",
                          at: other.reference, notes: ShapeContext.distinctNotes(context.inputs))
            failed = true
        }
        guard !failed else { return nil }
        let channels = context.inputs.map(\.shape.channels)
        var total = 0
        for count in channels {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { total = .max; break }
            total = sum
        }
        guard let output = context.checkedOutput(FeatureShape(channels: total, height: first.shape.height, width: first.shape.width)) else {
            return nil
        }
        return (Concatenation(channels: channels), output)
    }
}

extension Concatenation: OperatorRules {
    public var keyword: String { "concat" }
    public func parameters(of layer: CheckedLayer) -> [ParameterShape] { [] }
    public func macs(of layer: CheckedLayer) -> Int { 0 }
    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField { .merging(inputs) }
    public var summaryDescription: String { "concat " + channels.map(String.init).joined(separator: "+") }
    public var jsonOptions: [(String, JSONValue)] { [("channels", .array(channels.map(JSONValue.integer)))] }
}
