/// The input rows (or columns) one output unit depends on: `low…high`, unclipped (padding positions
/// count as if the input went on).
public struct Span: Hashable, Sendable {
    public var low: Int
    public var high: Int

    public init(_ low: Int, _ high: Int) {
        self.low = low
        self.high = high
    }

    public var size: Int { high - low + 1 }

    func union(_ other: Span) -> Span { Span(min(low, other.low), max(high, other.high)) }
}

/// One axis of a receptive field, exact for every unit. Unit `u` sees the input lines of
/// `spans[u mod period]` moved by `⌊u / period⌋ · step`; a nil span sees no input at all (a transposed
/// convolution's output that no kernel tap reaches).
///
/// Araujo, Norris & Sim ("Computing Receptive Fields of Convolutional Neural Networks", Distill 2019)
/// describe every unit by one size, an integer jump and a centre; that is the case `period == 1`.
/// Upsampling and transposed convolutions make the pattern repeat every few units instead (two units
/// of a ×2 nearest upsampling see the same pixels), so the jump becomes the fraction `step / period` and
/// the size may differ from unit to unit. Tracking the repeating pattern keeps every reported number true.
public struct AxisField: Hashable, Sendable {
    public private(set) var period: Int
    public private(set) var step: Int
    public private(set) var spans: [Span?]

    /// Patterns longer than this are not tracked (they need products of many scale factors).
    public static let maximumPeriod = 4096
    /// The most span lookups one step may make (units of a period × kernel taps): kernels far larger
    /// than any real network's are not tracked rather than slow.
    static let maximumWork = 1 << 22

    /// The network input: unit u is pixel u.
    public static let identity = AxisField(period: 1, step: 1, spans: [Span(0, 0)])

    enum Failure: Error {
        /// Coordinates beyond Int: the field covers any real input, so it is reported global.
        case overflow
        case periodTooLong
    }

    init(period: Int, step: Int, spans: [Span?]) {
        self.period = period
        self.step = step
        self.spans = spans
    }

    /// Average input lines per output unit.
    public var jump: Rational { Rational(step, period) }

    /// The smallest and largest span over all units (nil when no unit sees any input).
    public var sizes: ClosedRange<Int>? {
        let sizes = spans.compactMap { $0?.size }
        guard let low = sizes.min(), let high = sizes.max() else { return nil }
        return low...high
    }

    /// The centre of unit 0's span, in input pixel coordinates (a half-integer at worst).
    public var centre: Double? {
        spans[0].map { Double($0.low + $0.high) / 2 }
    }

    func span(of unit: Int) throws(Failure) -> Span? {
        let turns = floorDivision(unit, period)
        guard let base = spans[unit - turns * period] else { return nil }
        let (shift, overflow) = turns.multipliedReportingOverflow(by: step)
        let (low, lowOverflow) = base.low.addingReportingOverflow(shift)
        let (high, highOverflow) = base.high.addingReportingOverflow(shift)
        guard !overflow, !lowOverflow, !highOverflow else { throw .overflow }
        return Span(low, high)
    }

    /// The field of units that each read the units `sources(u)` of this one, repeating every `period`
    /// units with `step`.
    private func gathered(period: Int, step: Int, taps: Int, sources: (Int) -> [Int]) throws(Failure) -> AxisField {
        guard period <= Self.maximumPeriod, period.multipliedReportingOverflow(by: taps).partialValue <= Self.maximumWork,
              !period.multipliedReportingOverflow(by: taps).overflow else {
            throw .periodTooLong
        }
        var spans: [Span?] = []
        spans.reserveCapacity(period)
        for unit in 0..<period {
            var union: Span?
            for source in sources(unit) {
                guard let span = try span(of: source) else { continue }
                union = union.map { $0.union(span) } ?? span
            }
            spans.append(union)
        }
        return AxisField(period: period, step: step, spans: spans).normalized()
    }

    /// A sliding window (convolution or pooling): unit v reads units `v·stride − padBefore + i·dilation`.
    func window(kernel: Int, stride: Int, dilation: Int, padBefore: Int) throws(Failure) -> AxisField {
        let common = greatestCommonDivisor(period, stride)
        let (newStep, overflow) = step.multipliedReportingOverflow(by: stride / common)
        guard !overflow else { throw .overflow }
        return try gathered(period: period / common, step: newStep, taps: kernel) { unit in
            (0..<kernel).map { unit * stride - padBefore + $0 * dilation }
        }
    }

    /// Nearest upsampling: unit v copies unit `⌊v / scale⌋`.
    func nearest(scale: Int) throws(Failure) -> AxisField {
        let (newPeriod, overflow) = period.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw .periodTooLong }
        return try gathered(period: newPeriod, step: step, taps: 1) { [floorDivision($0, scale)] }
    }

    /// Bilinear upsampling with half-pixel centres: unit v reads the units around `(v + ½) / scale − ½`,
    /// one unit when that position is whole (the other weight is zero), two otherwise.
    func bilinear(scale: Int) throws(Failure) -> AxisField {
        let (newPeriod, overflow) = period.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw .periodTooLong }
        return try gathered(period: newPeriod, step: step, taps: 2) { unit in
            let numerator = 2 * unit + 1 - scale
            let first = floorDivision(numerator, 2 * scale)
            return numerator == first * 2 * scale ? [first] : [first, first + 1]
        }
    }

    /// A transposed convolution: output o receives input i for every tap j with `i·stride = o + padBefore − j·dilation`.
    func transposed(kernel: Int, stride: Int, dilation: Int, padBefore: Int) throws(Failure) -> AxisField {
        let (newPeriod, overflow) = period.multipliedReportingOverflow(by: stride)
        guard !overflow else { throw .periodTooLong }
        return try gathered(period: newPeriod, step: step, taps: kernel) { unit in
            (0..<kernel).compactMap { tap in
                let position = unit + padBefore - tap * dilation
                let source = floorDivision(position, stride)
                return source * stride == position ? source : nil
            }
        }
    }

    /// The same field with its shortest period.
    func normalized() -> AxisField {
        for candidate in 1..<period where period % candidate == 0 && (step * candidate) % period == 0 {
            let shift = step * candidate / period
            let repeats = (0..<(period - candidate)).allSatisfy { unit in
                switch (spans[unit], spans[unit + candidate]) {
                case (nil, nil): true
                case (let a?, let b?): b.low == a.low + shift && b.high == a.high + shift
                default: false
                }
            }
            if repeats { return AxisField(period: candidate, step: shift, spans: Array(spans.prefix(candidate))) }
        }
        return self
    }

    /// Units `0..<count`, written out.
    func units(_ count: Int) throws(Failure) -> [Span?] {
        var result: [Span?] = []
        for unit in 0..<count { result.append(try span(of: unit)) }
        return result
    }

    /// The union of fields that move at the same rate, and whether their units are centred alike; nil
    /// when the rates differ (the fields drift apart and no repeating pattern describes the union).
    static func union(_ fields: [AxisField]) throws(Failure) -> (field: AxisField, centred: Bool)? {
        guard let first = fields.first else { return nil }
        guard fields.allSatisfy({ $0.jump == first.jump }) else { return nil }
        var period = 1
        for field in fields {
            period = period / greatestCommonDivisor(period, field.period) * field.period
            guard period <= maximumPeriod else { throw .periodTooLong }
        }
        let steps = fields.map { $0.step * (period / $0.period) }
        let units = try fields.map { field throws(Failure) in try field.units(period) }
        var spans: [Span?] = []
        var centred = true
        for unit in 0..<period {
            let present = units.map { $0[unit] }
            let centres = Set(present.map { span in span.map { $0.low + $0.high } })
            if centres.count > 1 { centred = false }
            spans.append(present.compactMap { $0 }.reduce(nil as Span?) { union, span in union.map { $0.union(span) } ?? span })
        }
        return (AxisField(period: period, step: steps[0], spans: spans).normalized(), centred)
    }
}

/// The receptive field of a layer's output units in the network input.
public enum ReceptiveField: Hashable, Sendable {
    /// Each unit sees a span of input rows and columns, given exactly per unit. `aligned` is false
    /// once branches whose units are centred differently have met (Araujo et al.'s unaligned
    /// networks): the spans are still true, but units of different branches look at different places.
    case local(height: AxisField, width: AxisField, aligned: Bool)
    /// Sees the whole input: `flatten`, `dense`, global pools and every layer after them.
    case global
    /// Branches that move across the input at different rates meet here: no repeating pattern of
    /// spans describes the units, so no size is reported.
    case unaligned
    /// The pattern of spans repeats over more units than cnnc tracks.
    case untracked

    public static let identity = ReceptiveField.local(height: .identity, width: .identity, aligned: true)

    public var isGlobal: Bool { self == .global }

    /// The field after a per-axis step; overflow means the field covers any real input.
    func mapAxes(_ transform: (AxisField, _ isHeight: Bool) throws(AxisField.Failure) -> AxisField) -> ReceptiveField {
        guard case .local(let height, let width, let aligned) = self else { return self }
        do {
            return .local(height: try transform(height, true), width: try transform(width, false), aligned: aligned)
        } catch .overflow {
            return .global
        } catch {
            return .untracked
        }
    }

    /// Through a convolution or pooling window.
    func through(_ window: Window) -> ReceptiveField {
        mapAxes { axis, isHeight throws(AxisField.Failure) in
            isHeight
                ? try axis.window(kernel: window.kernel.height, stride: window.stride.height, dilation: window.dilation.height,
                                  padBefore: window.padding.top)
                : try axis.window(kernel: window.kernel.width, stride: window.stride.width, dilation: window.dilation.width,
                                  padBefore: window.padding.left)
        }
    }

    /// Where several inputs meet (`add`, `mul`, `concat`): the union of their fields.
    static func merging(_ fields: [ReceptiveField]) -> ReceptiveField {
        if fields.contains(.global) { return .global }
        if fields.contains(.unaligned) { return .unaligned }
        if fields.contains(.untracked) { return .untracked }
        var heights: [AxisField] = [], widths: [AxisField] = []
        var aligned = true
        for case .local(let height, let width, let fieldAligned) in fields {
            heights.append(height)
            widths.append(width)
            aligned = aligned && fieldAligned
        }
        do {
            guard let height = try AxisField.union(heights), let width = try AxisField.union(widths) else { return .unaligned }
            return .local(height: height.field, width: width.field, aligned: aligned && height.centred && width.centred)
        } catch .overflow {
            return .global
        } catch {
            return .untracked
        }
    }
}
