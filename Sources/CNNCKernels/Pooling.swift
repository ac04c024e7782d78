/// The fixed shape of one pooling layer; padding is implicit (windows are clipped to the input).
package struct PoolingGeometry: Hashable, Sendable {
    package var channels: Int
    package var inHeight: Int, inWidth: Int
    package var outHeight: Int, outWidth: Int
    package var kernelHeight: Int, kernelWidth: Int
    package var strideHeight: Int, strideWidth: Int
    package var margins: Margins

    package init(channels: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int, kernelHeight: Int, kernelWidth: Int,
                strideHeight: Int, strideWidth: Int, margins: Margins) {
        self.channels = channels
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.outHeight = outHeight
        self.outWidth = outWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.margins = margins
    }

    /// The input rows (or columns) of window `index` that lie inside the input, and how many lie inside
    /// the input plus its stated padding (the ceil-mode overhang beyond it never counts).
    @inline(__always)
    func span(_ index: Int, stride: Int, kernel: Int, before: Int, after: Int, size: Int) -> (lower: Int, upper: Int, padded: Int) {
        let start = index * stride - before
        let end = min(start + kernel, size + after)
        return (max(start, 0), min(end, size), end - start)
    }
}

/// What a pooling window computes: the value it starts from, how it takes in one more input, and
/// the output from the combined value and the window's counts inside the input and inside the input
/// plus its stated padding. One method per vector width: written generically over `SIMD`, the
/// operations stayed generic, lane by lane (a max pool took 60× the time).
protocol PoolingReduction {
    var start: Float { get }
    func combine(_ value: Float, _ next: Float) -> Float
    func combine(_ value: SIMD8<Float>, _ next: SIMD8<Float>) -> SIMD8<Float>
    func finish(_ value: SIMD8<Float>, inside: Int, padded: Int) -> SIMD8<Float>
    #if CNNC_AVX512
    func combine(_ value: SIMD16<Float>, _ next: SIMD16<Float>) -> SIMD16<Float>
    func finish(_ value: SIMD16<Float>, inside: Int, padded: Int) -> SIMD16<Float>
    #endif
}

/// The largest input; padding never wins, since only positions inside the input are compared, and
/// neither does NaN (`next > value` is false for it).
struct MaximumReduction: PoolingReduction {
    var start: Float { -Float.infinity }
    @_transparent func combine(_ value: Float, _ next: Float) -> Float { max(value, next) }
    @_transparent func combine(_ value: SIMD8<Float>, _ next: SIMD8<Float>) -> SIMD8<Float> { value.replacing(with: next, where: next .> value) }
    @_transparent func finish(_ value: SIMD8<Float>, inside: Int, padded: Int) -> SIMD8<Float> { value }
    #if CNNC_AVX512
    @_transparent func combine(_ value: SIMD16<Float>, _ next: SIMD16<Float>) -> SIMD16<Float> { value.replacing(with: next, where: next .> value) }
    @_transparent func finish(_ value: SIMD16<Float>, inside: Int, padded: Int) -> SIMD16<Float> { value }
    #endif
}

/// The window's sum, row by row, divided by the positions inside the input — or, with
/// `countIncludePad`, inside the input plus its stated padding.
struct AverageReduction: PoolingReduction {
    var countIncludePad: Bool
    var start: Float { 0 }
    @_transparent func combine(_ value: Float, _ next: Float) -> Float { value + next }
    @_transparent func combine(_ value: SIMD8<Float>, _ next: SIMD8<Float>) -> SIMD8<Float> { value + next }
    @_transparent func finish(_ value: SIMD8<Float>, inside: Int, padded: Int) -> SIMD8<Float> {
        value / SIMD8(repeating: Float(countIncludePad ? padded : inside))
    }
    #if CNNC_AVX512
    @_transparent func combine(_ value: SIMD16<Float>, _ next: SIMD16<Float>) -> SIMD16<Float> { value + next }
    @_transparent func finish(_ value: SIMD16<Float>, inside: Int, padded: Int) -> SIMD16<Float> {
        value / SIMD16(repeating: Float(countIncludePad ? padded : inside))
    }
    #endif
}

/// Max pooling.
@inline(__always)
package func maxPool(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, geometry g: PoolingGeometry,
                    share: WorkShare = .whole) {
    pool(input, output: output, geometry: g, share: share, reduction: MaximumReduction())
}

/// Average pooling.
@inline(__always)
package func averagePool(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, geometry g: PoolingGeometry,
                         countIncludePad: Bool, share: WorkShare = .whole) {
    pool(input, output: output, geometry: g, share: share, reduction: AverageReduction(countIncludePad: countIncludePad))
}

/// The pooling loop: eight outputs at once where their windows lie wholly inside the row and the
/// stride is 1 or 2, one at a time at the borders. A stride of 2 reads sixteen inputs per pair of
/// kernel columns and keeps their even lanes for one and their odd lanes for the other (lenet5's 2×2
/// average pool took 0.27× the time of sixteen loaded per column, a 3×3 max pool 0.35×); a last
/// column of its own whose sixteen would read past the row reads them from one column earlier and
/// keeps the odd lanes. A row's last eight outputs overlap the ones before rather than leaving a
/// scalar tail (recomputed outputs get the same values). Rows are combined in order, then columns,
/// as in the reference. An AVX-512 compilation takes sixteen outputs at once the same way where a
/// row has at least sixteen (`poolSixteen`).
@inline(__always)
func pool<Reduction: PoolingReduction>(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, geometry g: PoolingGeometry,
                                       share: WorkShare, reduction: Reduction) {
    let vectorised = (g.strideWidth == 1 || g.strideWidth == 2) && g.outWidth >= 8
    #if CNNC_AVX512
    let wide = vectorised && g.outWidth >= 16
    #endif
    // Output columns whose windows start inside their input row.
    let firstInside = (g.margins.left + g.strideWidth - 1) / g.strideWidth
    for channel in share.range(g.channels) {
        let plane = input + channel * g.inHeight * g.inWidth
        let outPlane = output + channel * g.outHeight * g.outWidth
        for y in 0..<g.outHeight {
            let rows = g.span(y, stride: g.strideHeight, kernel: g.kernelHeight, before: g.margins.top, after: g.margins.bottom, size: g.inHeight)
            var x = 0
            while x < g.outWidth {
                #if CNNC_AVX512
                if wide && poolSixteen(plane, outPlane + y * g.outWidth, geometry: g, rows: rows, x: &x, firstInside: firstInside, reduction: reduction) {
                    continue
                }
                #endif
                let vectorX = min(x, g.outWidth - 8)
                let firstColumn = vectorX * g.strideWidth - g.margins.left
                // The last input column the eight windows read; at stride 2, sixteen floats loaded for
                // a last kernel column of its own (odd widths) would read one more.
                let lastColumn = firstColumn + 7 * g.strideWidth + g.kernelWidth - 1
                let early = g.strideWidth == 2 && g.kernelWidth % 2 == 1 && lastColumn + 1 >= g.inWidth
                if vectorised && vectorX >= firstInside && lastColumn < g.inWidth && (!early || firstColumn >= 1) {
                    var value = SIMD8<Float>(repeating: reduction.start)
                    for row in rows.lower..<rows.upper {
                        let source = plane + row * g.inWidth + firstColumn
                        if g.strideWidth == 1 {
                            for kx in 0..<g.kernelWidth { value = reduction.combine(value, source.loadVector(at: kx)) }
                            continue
                        }
                        // Stride 2: taps kx and kx + 1 are the even and odd lanes of the same sixteen
                        // floats, taken in the lane order of in-lane shuffles (`interleavedLanes`);
                        // `value` is put back in order once, after the window.
                        var kx = 0
                        while kx < g.kernelWidth {
                            if kx + 1 < g.kernelWidth || !early {
                                let low = source.loadVector(at: kx), high = source.loadVector(at: kx + 8)
                                value = reduction.combine(value, evenLanesInterleaved(low, high))
                                if kx + 1 < g.kernelWidth { value = reduction.combine(value, oddLanesInterleaved(low, high)) }
                            } else {
                                // A last tap of its own whose sixteen floats would end past the row.
                                value = reduction.combine(value, oddLanesInterleaved(source.loadVector(at: kx - 1), source.loadVector(at: kx + 7)))
                            }
                            kx += 2
                        }
                    }
                    if g.strideWidth == 2 { value = interleavedLanes(value) }
                    let inside = (rows.upper - rows.lower) * g.kernelWidth
                    (outPlane + y * g.outWidth + vectorX).storeVector(reduction.finish(value, inside: inside, padded: rows.padded * g.kernelWidth), at: 0)
                    x = vectorX + 8
                } else {
                    let columns = g.span(x, stride: g.strideWidth, kernel: g.kernelWidth, before: g.margins.left, after: g.margins.right, size: g.inWidth)
                    var value = reduction.start
                    for row in rows.lower..<rows.upper {
                        for column in columns.lower..<columns.upper {
                            value = reduction.combine(value, plane[row * g.inWidth + column])
                        }
                    }
                    let inside = (rows.upper - rows.lower) * (columns.upper - columns.lower)
                    outPlane[y * g.outWidth + x] = reduction.finish(SIMD8(repeating: value), inside: inside, padded: rows.padded * columns.padded)[0]
                    x += 1
                }
            }
        }
    }
}

#if CNNC_AVX512
/// `pool`'s vector step with sixteen outputs, from output column `x` (or as many before it as end the
/// row): stride 2 splits each 32 loaded floats into even and odd columns (`evenAndOddColumns`).
/// Returns false, leaving `x`, where the sixteen windows do not lie wholly inside the row.
@inline(__always)
func poolSixteen<Reduction: PoolingReduction>(_ plane: UnsafePointer<Float>, _ outRow: UnsafeMutablePointer<Float>, geometry g: PoolingGeometry,
                                              rows: (lower: Int, upper: Int, padded: Int), x: inout Int, firstInside: Int,
                                              reduction: Reduction) -> Bool {
    let vectorX = min(x, g.outWidth - 16)
    let firstColumn = vectorX * g.strideWidth - g.margins.left
    let lastColumn = firstColumn + 15 * g.strideWidth + g.kernelWidth - 1
    let early = g.strideWidth == 2 && g.kernelWidth % 2 == 1 && lastColumn + 1 >= g.inWidth
    guard vectorX >= firstInside && lastColumn < g.inWidth && (!early || firstColumn >= 1) else { return false }
    var value = SIMD16<Float>(repeating: reduction.start)
    for row in rows.lower..<rows.upper {
        let source = UnsafeRawPointer(plane + row * g.inWidth + firstColumn)
        if g.strideWidth == 1 {
            for kx in 0..<g.kernelWidth {
                value = reduction.combine(value, source.loadUnaligned(fromByteOffset: 4 * kx, as: SIMD16<Float>.self))
            }
            continue
        }
        var kx = 0
        while kx < g.kernelWidth {
            if kx + 1 < g.kernelWidth || !early {
                let (even, odd) = evenAndOddColumns(source + 4 * kx)
                value = reduction.combine(value, even)
                if kx + 1 < g.kernelWidth { value = reduction.combine(value, odd) }
            } else {
                value = reduction.combine(value, evenAndOddColumns(source + 4 * (kx - 1)).1)
            }
            kx += 2
        }
    }
    let inside = (rows.upper - rows.lower) * g.kernelWidth
    UnsafeMutableRawPointer(outRow + vectorX).storeBytes(of: reduction.finish(value, inside: inside, padded: rows.padded * g.kernelWidth),
                                                         as: SIMD16<Float>.self)
    x = vectorX + 16
    return true
}
#endif

/// C×H×W → C: the mean of each plane, summed in order. Eight channels at a time, one per lane, so
/// that each keeps its own chain of additions in the interpreter's order while eight run at once
/// (mobile_block's 64 planes of 256: 0.31× the time of one chain at a time).
@inline(__always)
package func globalAveragePool(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, plane: Int,
                              share: WorkShare = .whole) {
    // Parts split the channels in groups of eight.
    let range = share.range(channels, granule: 8)
    var first = range.lowerBound
    while first + 8 <= range.upperBound {
        let p = input + first * plane
        var sums = SIMD8<Float>()
        var index = 0
        // Eight floats of each of the eight channels at a time, transposed so that each vector holds
        // one index of every channel: the sums keep each channel's order, index by index. Gathering a
        // vector one float per channel took most of the time (mobilenetv2_block's squeeze 13 µs).
        while index + 8 <= plane {
            @inline(__always) func row(_ channel: Int) -> SIMD8<Float> { (p + channel * plane).loadVector(at: index) }
            let columns = transposed(row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
            sums += columns.0
            sums += columns.1
            sums += columns.2
            sums += columns.3
            sums += columns.4
            sums += columns.5
            sums += columns.6
            sums += columns.7
            index += 8
        }
        while index < plane {
            sums += SIMD8(p[index], p[plane + index], p[2 * plane + index], p[3 * plane + index],
                          p[4 * plane + index], p[5 * plane + index], p[6 * plane + index], p[7 * plane + index])
            index += 1
        }
        (output + first).storeVector(sums / SIMD8(repeating: Float(plane)), at: 0)
        first += 8
    }
    for channel in first..<range.upperBound {
        var sum: Float = 0
        for index in 0..<plane { sum += input[channel * plane + index] }
        output[channel] = sum / Float(plane)
    }
}

/// C×H×W → C: the maximum of each plane.
@inline(__always)
package func globalMaxPool(_ input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, channels: Int, plane: Int,
                          share: WorkShare = .whole) {
    for channel in share.range(channels) {
        var largest = -Float.infinity
        for index in 0..<plane { largest = max(largest, input[channel * plane + index]) }
        output[channel] = largest
    }
}

/// Lanes 0, 2 of `low`, 0, 2 of `high`, then 4, 6 of each: the even lanes of sixteen floats as one
/// in-lane shuffle (`vshufps`) makes them, pairs 1 and 2 swapped (`interleavedLanes` swaps them back).
@_transparent
func evenLanesInterleaved(_ low: SIMD8<Float>, _ high: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(low[0], low[2], high[0], high[2], low[4], low[6], high[4], high[6])
}

/// `evenLanesInterleaved` of the odd lanes.
@_transparent
func oddLanesInterleaved(_ low: SIMD8<Float>, _ high: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(low[1], low[3], high[1], high[3], low[5], low[7], high[5], high[7])
}

/// Swaps lanes 2–3 with 4–5, which puts the result of `evenLanesInterleaved` in order (and back).
@_transparent
func interleavedLanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
    SIMD8(x[0], x[1], x[4], x[5], x[2], x[3], x[6], x[7])
}
