/// `maxpool` and `avgpool` as written.
public struct PoolSpec: Sendable {
    public var kernel: Located<Pair>
    /// Defaults to the kernel.
    public var stride: Located<Pair>
    public var padding: Located<PaddingSpec>
    public var ceilMode: Bool
    /// Required for `avgpool` whose resolved padding is not zero; never meaningful for `maxpool`.
    public var countIncludePad: Located<Bool>?

    static let example = "kernel: 2"

    static func decode(_ d: inout LayerDecoder, average: Bool) -> PoolSpec? {
        let kernel = d.requiredPair("kernel")
        let stride = d.pair("stride", default: kernel?.value ?? Pair(square: 1))
        let padding = d.padding()
        let ceilMode = d.boolean("ceil_mode", default: false)
        var countIncludePad: Located<Bool>?
        if average {
            countIncludePad = d.optionalBoolean("count_include_pad")
        }
        guard let kernel, let stride, let padding, let ceilMode else { return nil }
        return PoolSpec(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
}
