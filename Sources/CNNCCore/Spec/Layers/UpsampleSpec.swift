/// `upsample` as written: an integer scale per axis and the interpolation.
public struct UpsampleSpec: Sendable {
    public var scale: Located<Pair>
    public var mode: Located<UpsampleMode>

    static let example = "scale: 2"

    static func decode(_ d: inout LayerDecoder) -> UpsampleSpec? {
        let scale = d.requiredScale()
        let mode = d.keyword("mode", UpsampleMode.allCases.map(\.rawValue), default: UpsampleMode.nearest.rawValue)
        guard let scale, let mode, let value = UpsampleMode(rawValue: mode.value) else { return nil }
        return UpsampleSpec(scale: scale, mode: Located(value, at: mode.location))
    }
}

/// How `upsample` fills the new pixels.
public enum UpsampleMode: String, CaseIterable, Sendable, Hashable {
    /// Each output pixel copies the input pixel `⌊x / scale⌋` (PyTorch's `nearest`, ONNX Resize
    /// `nearest` with `asymmetric` coordinates and `floor` rounding).
    case nearest
    /// Linear in both axes at source position `(x + ½) / scale − ½`, clamped to the input (PyTorch's
    /// `bilinear` with `align_corners=False`, ONNX Resize `linear` with `half_pixel`).
    case bilinear
}
