import CNNCRuntime

/// `dropout`: the identity at inference.
public struct Dropout: Hashable, Sendable {
    public var rate: Float

    static func check(rate: Float, _ context: inout ShapeContext) -> (Dropout, FeatureShape)? {
        (Dropout(rate: rate), context.input)
    }
}

extension Dropout: OperatorRules {
    public var keyword: String { "dropout" }
    public func parameters(of layer: CheckedLayer) -> [ParameterShape] { [] }
    public func macs(of layer: CheckedLayer) -> Int { 0 }
    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField { inputs[0] }
    public var summaryDescription: String { "dropout \(rate)" }
    public var jsonOptions: [(String, JSONValue)] { [("rate", .float(rate))] }
}
