import CNNCRuntime

/// `maxpool` and `avgpool`: the maximum or the mean of each window. Padding never wins a maximum; an
/// average divides by the window's pixels inside the input, or, with `count_include_pad`, inside the
/// padded input (never the ceil-mode overhang).
public struct Pooling: Hashable, Sendable {
    public enum Reduction: Hashable, Sendable {
        case max
        case average(countIncludePad: Bool)
    }

    public var reduction: Reduction
    public var window: Window

    // MARK: Shape rule

    static func check(_ spec: PoolSpec, average: Bool, _ context: inout ShapeContext) -> (Pooling, FeatureShape)? {
        let input = context.input
        guard let (window, sides) = context.resolveWindow(kernel: spec.kernel, stride: spec.stride.value, dilation: Pair(square: 1),
                                                          padding: spec.padding, ceilMode: spec.ceilMode) else {
            return nil
        }
        // A window lying wholly in padding would have nothing to pool.
        let padding = window.padding
        let kernel = window.kernel
        var tooWide: [String] = []
        if max(padding.top, padding.bottom) >= kernel.height { tooWide.append("vertical padding \(max(padding.top, padding.bottom)) vs kernel height \(kernel.height)") }
        if max(padding.left, padding.right) >= kernel.width { tooWide.append("horizontal padding \(max(padding.left, padding.right)) vs kernel width \(kernel.width)") }
        if !tooWide.isEmpty {
            context.error("'\(context.name)' pads too much: each side must be smaller than the kernel, so no window lies wholly in padding (\(tooWide.joined(separator: ", ")))",
                          at: spec.padding.location)
        }
        let reduction: Reduction
        if average {
            var countIncludePad = false
            if let explicit = spec.countIncludePad {
                countIncludePad = explicit.value
            } else if !padding.isZero {
                let origin = spec.padding.value == .same ? " (padding: same on its \(input.height)×\(input.width) input)" : ""
                context.error(
                    "'\(context.name)' pads by \(padding)\(origin); state count_include_pad: true or false, because frameworks disagree on whether padding counts in the average",
                    at: context.layer.location, notes: spec.padding.value == .same ? [context.producer] : [])
            }
            reduction = .average(countIncludePad: countIncludePad)
        } else {
            reduction = .max
        }
        return (Pooling(reduction: reduction, window: window), FeatureShape(channels: input.channels, height: sides.height, width: sides.width))
    }
}

extension Pooling: OperatorRules {
    public var keyword: String {
        switch reduction {
        case .max: "maxpool"
        case .average: "avgpool"
        }
    }

    public func parameters(of layer: CheckedLayer) -> [ParameterShape] { [] }

    public func macs(of layer: CheckedLayer) -> Int { 0 }

    public func receptiveField(from inputs: [ReceptiveField], of layer: CheckedLayer) -> ReceptiveField {
        inputs[0].through(window)
    }

    public var summaryDescription: String {
        var parts = ["\(keyword) \(window.kernel.height)×\(window.kernel.width)"] + window.summaryOptions(defaultStride: window.kernel)
        if window.ceilMode { parts.append("ceil") }
        if case .average(true) = reduction { parts.append("count pad") }
        return parts.joined(separator: ", ")
    }

    public var jsonOptions: [(String, JSONValue)] {
        var members = OptionsJSON.window(window) + [("ceil_mode", .bool(window.ceilMode))]
        if case .average(let countIncludePad) = reduction { members.append(("count_include_pad", .bool(countIncludePad))) }
        return members
    }
}
