/// How layers read in the summary: the kind and its key options, defaults left out.
extension Operation {
    /// The spec's word for the kind.
    public var keyword: String {
        switch self {
        case .conv: "conv"
        case .maxPool: "maxpool"
        case .avgPool: "avgpool"
        case .globalAvgPool: "global_avgpool"
        case .globalMaxPool: "global_maxpool"
        case .activation(let activation): activation.keyword
        case .batchNorm: "batchnorm"
        case .dropout: "dropout"
        case .flatten: "flatten"
        case .dense: "dense"
        }
    }

    /// `conv 3×3, stride 2, pad 1 reflect, groups 4`.
    public var summaryDescription: String {
        var parts: [String] = []
        switch self {
        case .conv(let conv):
            parts.append("conv \(conv.window.kernel.height)×\(conv.window.kernel.width)")
            parts += Self.windowOptions(conv.window, defaultStride: Pair(square: 1))
            switch conv.paddingMode {
            case .zeros: break
            case .constant(let value): parts.append("pad value \(value)")
            case .reflect, .replicate, .circular: parts.append(conv.paddingMode.keyword)
            }
            if conv.groups > 1 { parts.append(conv.isDepthwise ? "depthwise" : "groups \(conv.groups)") }
            if !conv.hasBias { parts.append("no bias") }
        case .maxPool(let window), .avgPool(let window, _):
            parts.append("\(keyword) \(window.kernel.height)×\(window.kernel.width)")
            parts += Self.windowOptions(window, defaultStride: window.kernel)
            if window.ceilMode { parts.append("ceil") }
            if case .avgPool(_, true) = self { parts.append("count pad") }
        case .activation(.leakyReLU(let alpha)), .activation(.elu(let alpha)):
            parts.append("\(keyword) α=\(alpha)")
        case .batchNorm(let eps):
            parts.append(eps == 1e-5 ? keyword : "batchnorm eps=\(eps)")
        case .dropout(let rate):
            parts.append("dropout \(rate)")
        case .dense(let dense):
            parts.append("dense")
            if !dense.hasBias { parts.append("no bias") }
        case .globalAvgPool, .globalMaxPool, .activation, .flatten:
            parts.append(keyword)
        }
        return parts.joined(separator: ", ")
    }

    private static func windowOptions(_ window: Window, defaultStride: Pair) -> [String] {
        var parts: [String] = []
        if window.stride != defaultStride { parts.append("stride \(window.stride)") }
        if !window.padding.isZero { parts.append("pad \(window.padding)") }
        if window.dilation != Pair(square: 1) { parts.append("dilation \(window.dilation)") }
        return parts
    }
}
