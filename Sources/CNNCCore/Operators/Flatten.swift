import CNNCRuntime

/// `flatten`: C×H×W → (C·H·W)×1×1 in C, H, W order; no data moves.
public struct Flatten: Hashable, Sendable {
    static func check(_ context: inout ShapeContext) -> (Flatten, FeatureShape)? {
        (Flatten(), FeatureShape(channels: context.input.count, height: 1, width: 1))
    }
}

extension Flatten: OperatorRules {
    public var keyword: String { "flatten" }
    public func parameters(of layer: CheckedLayer) -> [ParameterShape] { [] }
    public func macs(of layer: CheckedLayer) -> Int { 0 }
    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField { .global }
    public var summaryDescription: String { keyword }
    public var jsonOptions: [(String, JSONValue)] { [] }
}
