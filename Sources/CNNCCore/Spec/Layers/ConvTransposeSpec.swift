/// `conv_transpose`: a transposed (fractionally strided) convolution as written, PyTorch's
/// `ConvTranspose2d`. Padding is explicit (it crops the output); there is no padding mode.
public struct ConvTransposeSpec: Sendable {
    public var outChannels: Located<Int>
    public var kernel: Located<Pair>
    public var stride: Located<Pair>
    public var padding: Located<Padding>
    public var outputPadding: Located<Pair>
    public var dilation: Located<Pair>
    public var groups: Located<Int>
    public var bias: BiasSpec
    public var inChannels: Located<Int>?
    /// `[in, out/groups, kh, kw]`, as PyTorch stores it.
    public var weight: InlineWeights?

    static let example = "channels: 8, kernel: 2, stride: 2"

    /// The padding (and output padding) that makes the output `input · stride`, what Keras's
    /// `padding="same"` gives: `2·padding − output_padding = kernel − stride`.
    static func sameEquivalent(kernel: Pair, stride: Pair) -> String? {
        func axis(_ k: Int, _ s: Int) -> (padding: Int, extra: Int)? {
            guard k >= s else { return nil }
            return ((k - s + 1) / 2, (k - s) % 2)
        }
        guard let height = axis(kernel.height, stride.height), let width = axis(kernel.width, stride.width) else { return nil }
        func text(_ a: Int, _ b: Int) -> String { a == b ? "\(a)" : "[\(a), \(b)]" }
        let extra = height.extra + width.extra > 0 ? ", output_padding: \(text(height.extra, width.extra))" : ""
        return "padding: \(text(height.padding, width.padding))\(extra)"
    }

    static func decode(_ d: inout LayerDecoder) -> ConvTransposeSpec? {
        let channels = d.requiredInteger("channels")
        let kernel = d.requiredPair("kernel")
        let stride = d.pair("stride", default: Pair(square: 1))
        let dilation = d.pair("dilation", default: Pair(square: 1))
        let padding = d.explicitPadding(sameHint: kernel.flatMap { kernel in stride.flatMap { ConvTransposeSpec.sameEquivalent(kernel: kernel.value, stride: $0.value) } })
        let outputPadding = d.pair("output_padding", default: Pair(square: 0), minimum: 0)
        let groups = d.integer("groups", default: 1)
        let inChannels = d.optionalInteger("in_channels")
        let bias = d.bias()
        let weight = d.inlineWeight(allowNormalize: false)
        guard let channels, let kernel, let stride, let dilation, let padding, let outputPadding, let groups, let bias else {
            return nil
        }
        return ConvTransposeSpec(outChannels: channels, kernel: kernel, stride: stride, padding: padding, outputPadding: outputPadding,
                                 dilation: dilation, groups: groups, bias: bias, inChannels: inChannels, weight: weight)
    }
}
