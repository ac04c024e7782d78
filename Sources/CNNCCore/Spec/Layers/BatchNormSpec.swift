/// `batchnorm` as written.
public struct BatchNormSpec: Sendable {
    public var eps: Float

    static let example = "eps: 1e-5"

    static func decode(_ d: inout LayerDecoder) -> BatchNormSpec? {
        d.number("eps", default: 1e-5, range: 0...1e6, positive: true).map(BatchNormSpec.init(eps:))
    }
}
