import CNNCRuntime

/// `upsample`: C×H×W → C×(H·scale_h)×(W·scale_w), by nearest neighbour (`⌊x / scale⌋`) or bilinear
/// interpolation at half-pixel centres (PyTorch's `align_corners=False`); see `UpsampleMode`.
public struct Upsampling: Hashable, Sendable {
    public var scale: Pair
    public var mode: UpsampleMode

    static func check(_ spec: UpsampleSpec, _ context: inout ShapeContext) -> (Upsampling, FeatureShape)? {
        let input = context.input
        let scale = spec.scale.value
        guard let height = ShapeLimits.product(input.height, scale.height), let width = ShapeLimits.product(input.width, scale.width),
              let output = context.checkedOutput(FeatureShape(channels: input.channels, height: height, width: width)) else {
            if context.diagnostics.errorCount == 0 {
                context.error("'\(context.name)' would produce more than \(ShapeLimits.maximumElements.grouped) elements (\(input) scaled by \(scale))",
                              at: spec.scale.location, notes: [context.producer])
            }
            return nil
        }
        return (Upsampling(scale: scale, mode: spec.mode.value), output)
    }
}

extension Upsampling: OperatorRules {
    public var keyword: String { "upsample" }
    public func parameters(of layer: CheckedLayer) -> [ParameterShape] { [] }
    public func macs(of layer: CheckedLayer) -> Int { 0 }

    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField {
        inputs[0].mapAxes { axis, isHeight throws(AxisField.Failure) in
            let factor = isHeight ? scale.height : scale.width
            switch mode {
            case .nearest: return try axis.nearest(scale: factor)
            case .bilinear: return try axis.bilinear(scale: factor)
            }
        }
    }

    public var summaryDescription: String { "upsample ×\(scale), \(mode.rawValue)" }
    public var jsonOptions: [(String, JSONValue)] { [("scale", OptionsJSON.pair(scale)), ("mode", .string(mode.rawValue))] }
}
