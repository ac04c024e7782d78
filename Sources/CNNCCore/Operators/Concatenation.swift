import CNNCRuntime

/// `concat`: inputs of equal height and width joined along the channels, in the order listed.
public struct Concatenation: Hashable, Sendable {
    /// Channels of each input.
    public var channels: [Int]

    static func check(_ context: inout ShapeContext) -> (Concatenation, FeatureShape)? {
        let name = context.name
        struct Sides: Hashable { var height: Int, width: Int }
        guard let first = context.reportMismatches(of: { Sides(height: $0.height, width: $0.width) }, { odd, others in
            "'\(name)' joins its inputs along the channels, so their heights and widths must match, but \(odd.describes) and \(others)"
        }) else {
            return nil
        }
        let channels = context.inputs.map(\.shape.channels)
        var total = 0
        for count in channels {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { total = .max; break }
            total = sum
        }
        guard let output = context.checkedOutput(FeatureShape(channels: total, height: first.height, width: first.width)) else {
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
