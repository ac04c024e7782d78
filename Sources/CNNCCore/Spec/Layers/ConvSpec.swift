/// `conv`: a 2-D convolution as written.
public struct ConvSpec: Sendable {
    public var outChannels: Located<Int>
    public var kernel: Located<Pair>
    public var stride: Located<Pair>
    public var padding: Located<PaddingSpec>
    public var paddingMode: Located<PaddingMode>
    public var dilation: Located<Pair>
    public var groups: Located<Int>
    public var bias: BiasSpec
    /// `in_channels:`, checked against the channels that reach the layer.
    public var inChannels: Located<Int>?
    public var weight: InlineWeights?

    static let example = "channels: 8, kernel: 3"

    static func decode(_ d: inout LayerDecoder) -> ConvSpec? {
        let channels = d.requiredInteger("channels")
        let kernel = d.requiredPair("kernel")
        let stride = d.pair("stride", default: Pair(square: 1))
        let dilation = d.pair("dilation", default: Pair(square: 1))
        let padding = d.padding()
        let groups = d.integer("groups", default: 1)
        let inChannels = d.optionalInteger("in_channels")
        let paddingMode = d.paddingMode()
        let bias = d.bias()
        let weight = d.inlineWeight(allowNormalize: true)
        guard let channels, let kernel, let stride, let dilation, let padding, let groups, let paddingMode, let bias else {
            return nil
        }
        return ConvSpec(outChannels: channels, kernel: kernel, stride: stride, padding: padding, paddingMode: paddingMode,
                        dilation: dilation, groups: groups, bias: bias, inChannels: inChannels, weight: weight)
    }
}
