import CNNCRuntime

/// `dense`: `out[o] = bias[o] + Σᵢ w[o, i] · in[i]` over a flat input (F×1×1).
public struct Dense: Hashable, Sendable {
    public var inFeatures: Int
    public var outFeatures: Int
    public var hasBias: Bool

    static func check(_ spec: DenseSpec, _ context: inout ShapeContext) -> (Dense, FeatureShape)? {
        let input = context.input
        guard input.height == 1, input.width == 1 else {
            context.error("'\(context.name)' needs a flat input, but \(context.producerSubject) \(input)", at: context.layer.location,
                          notes: [context.producer,
                                  .init("add '- flatten' before '\(context.name)' to feed it the \(input.count.grouped) values in C, H, W order", at: context.layer.location)],
                          fixIts: context.fixItInsertingLayerBefore("flatten").map { [$0] } ?? [])
            return nil
        }
        context.checkExpectedChannels(spec.inFeatures, what: "feature")
        if ShapeLimits.product(input.channels, spec.units.value) == nil {
            context.error("'\(context.name)' would have \(input.channels.grouped) × \(spec.units.value.grouped) weights, more than \(ShapeLimits.maximumElements.grouped)",
                          at: context.layer.location, notes: [context.producer])
            return nil
        }
        return (Dense(inFeatures: input.channels, outFeatures: spec.units.value, hasBias: spec.bias.enabled),
                FeatureShape(channels: spec.units.value, height: 1, width: 1))
    }
}

extension Dense: OperatorRules {
    public var keyword: String { "dense" }

    public func parameters(of layer: CheckedLayer) -> [ParameterShape] {
        let weight = ParameterShape(.weight, [outFeatures, inFeatures], .heNormal(fanIn: inFeatures))
        return hasBias ? [weight, ParameterShape(.bias, [outFeatures], .zeros)] : [weight]
    }

    /// `in·out`.
    public func macs(of layer: CheckedLayer) -> Int { inFeatures * outFeatures }
    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField { .global }
    public var summaryDescription: String { hasBias ? "dense" : "dense, no bias" }

    public var jsonOptions: [(String, JSONValue)] {
        [("in_features", .integer(inFeatures)), ("out_features", .integer(outFeatures)), ("bias", .bool(hasBias))]
    }
}
