import CNNCRuntime

/// `global_avgpool` and `global_maxpool`: one value per channel, the mean or maximum of its plane.
public struct GlobalPooling: Hashable, Sendable {
    public enum Reduction: Hashable, Sendable {
        case average
        case max
    }

    public var reduction: Reduction

    static func check(_ reduction: Reduction, _ context: inout ShapeContext) -> (GlobalPooling, FeatureShape)? {
        (GlobalPooling(reduction: reduction), FeatureShape(channels: context.input.channels, height: 1, width: 1))
    }
}

extension GlobalPooling: OperatorRules {
    public var keyword: String {
        switch reduction {
        case .average: "global_avgpool"
        case .max: "global_maxpool"
        }
    }

    public func parameters(of layer: CheckedLayer) -> [ParameterShape] { [] }
    public func macs(of layer: CheckedLayer) -> Int { 0 }
    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField { .global }
    public var summaryDescription: String { keyword }
    public var jsonOptions: [(String, JSONValue)] { [] }
}
