/// The geometry of a sliding window, shared by convolution and pooling.
public struct Window: Hashable, Sendable {
    public var kernel: Pair
    public var stride: Pair
    public var dilation: Pair
    /// Resolved per side; `same` and `valid` are already turned into numbers.
    public var padding: Padding
    public var ceilMode: Bool

    /// The span one window covers, dilation included: `dilation·(kernel−1) + 1`.
    public var extent: Pair {
        Pair(dilation.height * (kernel.height - 1) + 1, dilation.width * (kernel.width - 1) + 1)
    }

    /// `stride 2, pad 1, dilation 2`: the options that differ from the defaults.
    func summaryOptions(defaultStride: Pair) -> [String] {
        var parts: [String] = []
        if stride != defaultStride { parts.append("stride \(stride)") }
        if !padding.isZero { parts.append("pad \(padding)") }
        if dilation != Pair(square: 1) { parts.append("dilation \(dilation)") }
        return parts
    }
}

/// Output size along one axis (PyTorch's rule): `floor((in + before + after − extent) / stride) + 1`, with
/// ceil under `ceilMode`, dropping a last window that would start inside the end padding. Nil when the
/// window does not fit in the padded input.
public func windowOutputSize(input: Int, extent: Int, stride: Int, padBefore: Int, padAfter: Int, ceilMode: Bool) -> Int? {
    let span = input + padBefore + padAfter - extent
    guard span >= 0 else { return nil }
    var output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    if ceilMode, (output - 1) * stride >= input + padBefore { output -= 1 }
    return output
}

/// `same` padding along one axis: output `ceil(in / stride)`, total padding
/// `max(0, (out−1)·stride + extent − in)`, the odd pixel after (ONNX SAME_UPPER, TensorFlow).
public func samePadding(input: Int, extent: Int, stride: Int) -> (before: Int, after: Int) {
    let output = (input + stride - 1) / stride
    let total = max(0, (output - 1) * stride + extent - input)
    return (total / 2, total - total / 2)
}

extension ShapeContext {
    /// Resolves `same`/`valid` against the input and computes the output sides, or reports why the
    /// window does not fit.
    mutating func resolveWindow(kernel: Located<Pair>, stride: Pair, dilation: Pair, padding: Located<PaddingSpec>,
                                ceilMode: Bool) -> (Window, Pair)? {
        let extent = Pair(dilation.height * (kernel.value.height - 1) + 1, dilation.width * (kernel.value.width - 1) + 1)
        let resolved: Padding
        switch padding.value {
        case .explicit(let explicit): resolved = explicit
        case .valid: resolved = .zero
        case .same:
            let vertical = samePadding(input: input.height, extent: extent.height, stride: stride.height)
            let horizontal = samePadding(input: input.width, extent: extent.width, stride: stride.width)
            resolved = Padding(top: vertical.before, bottom: vertical.after, left: horizontal.before, right: horizontal.after)
        }
        let window = Window(kernel: kernel.value, stride: stride, dilation: dilation, padding: resolved, ceilMode: ceilMode)
        let height = windowOutputSize(input: input.height, extent: extent.height, stride: stride.height,
                                      padBefore: resolved.top, padAfter: resolved.bottom, ceilMode: ceilMode)
        let width = windowOutputSize(input: input.width, extent: extent.width, stride: stride.width,
                                     padBefore: resolved.left, padAfter: resolved.right, ceilMode: ceilMode)
        guard let height, let width else {
            var problems: [String] = []
            if height == nil {
                problems.append(Self.describeMisfit(axis: "height", kernel: kernel.value.height, extent: extent.height,
                                                    input: input.height, before: resolved.top, after: resolved.bottom))
            }
            if width == nil {
                problems.append(Self.describeMisfit(axis: "width", kernel: kernel.value.width, extent: extent.width,
                                                    input: input.width, before: resolved.left, after: resolved.right))
            }
            error("'\(name)': the \(kernel.value.height)×\(kernel.value.width) kernel does not fit its input: \(problems.joined(separator: "; "))",
                  at: layer.location, notes: [producer])
            return nil
        }
        return (window, Pair(height, width))
    }

    private static func describeMisfit(axis: String, kernel: Int, extent: Int, input: Int, before: Int, after: Int) -> String {
        let dilated = extent == kernel ? "\(kernel)" : "\(extent) (dilated from \(kernel))"
        let padded = before + after == 0 ? "the input \(axis) \(input)" : "the padded input \(axis) \(input + before + after) (\(input) + \(before) + \(after) padding)"
        return "its \(axis) \(dilated) exceeds \(padded)"
    }

    /// `in_channels:` (or `in_features:`) against what arrives.
    mutating func checkExpectedChannels(_ explicit: Located<Int>?, what: String) {
        guard let explicit, explicit.value != input.channels else { return }
        let plural = explicit.value == 1 ? "" : "s"
        let count = what == "channel" ? "\(explicit.value)" : explicit.value.grouped
        let arriving = what == "channel" ? "\(input.channels)" : input.channels.grouped
        error("'\(name)' expects \(count) input \(what)\(plural), but \(producerSubject) \(arriving)", at: explicit.location, notes: [producer])
    }

    /// `groups:` must divide the input and output channels.
    mutating func checkGroups(_ groups: Located<Int>, outChannels: Int) {
        let value = groups.value
        guard input.channels % value != 0 || outChannels % value != 0 else { return }
        var parts: [String] = []
        if input.channels % value != 0 { parts.append("the \(input.channels.grouped) input channels") }
        if outChannels % value != 0 { parts.append("the \(outChannels.grouped) output channels") }
        error("'\(name)' has groups: \(value.grouped), which does not divide \(parts.joined(separator: " or "))",
              at: groups.location, notes: input.channels % value != 0 ? [producer] : [])
    }
}
