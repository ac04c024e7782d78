/// How a convolution's border is filled; the same rules as docs/spec.md.
package enum BorderMode: Hashable, Sendable {
    case constant(Float)
    case reflect
    case replicate
    case circular

    /// The input index a padded index copies (reflect, replicate, circular).
    @inline(__always)
    func source(_ index: Int, _ size: Int) -> Int {
        if index >= 0 && index < size { return index }
        switch self {
        case .reflect: return index < 0 ? -index : 2 * (size - 1) - index
        case .replicate: return index < 0 ? 0 : size - 1
        case .circular: return ((index % size) + size) % size
        case .constant: return index
        }
    }

    /// Column `column` of an input row of `width` floats, or the border's value where it lies outside.
    @inline(__always)
    func value(_ row: UnsafePointer<Float>, _ column: Int, _ width: Int) -> Float {
        if column >= 0 && column < width { return row[column] }
        if case .constant(let value) = self { return value }
        return row[source(column, width)]
    }
}

/// Per-side padding in pixels.
package struct Margins: Hashable, Sendable {
    package var top: Int, bottom: Int, left: Int, right: Int

    package init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
    }
}

/// Copies `channels` planes of `height`×`width` into planes grown by `margins`, filling the border by
/// `mode`. Convolutions then read only this padded copy, so no tap ever tests for the border.
@inline(__always)
package func padPlanes(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                      channels: Int, height: Int, width: Int, margins: Margins, mode: BorderMode, share: WorkShare = .whole) {
    forEachPaddedRow(source, into: destination, channels: channels, height: height, width: width, margins: margins, mode: mode,
                     share: share) { outRow, sourceRow in
        if case .constant(let value) = mode {
            outRow.update(repeating: value, count: margins.left)
            (outRow + margins.left + width).update(repeating: value, count: margins.right)
        } else {
            for column in 0..<margins.left { outRow[column] = sourceRow[mode.source(column - margins.left, width)] }
            for column in 0..<margins.right { outRow[margins.left + width + column] = sourceRow[mode.source(width + column, width)] }
        }
        (outRow + margins.left).update(from: sourceRow, count: width)
    }
}

/// `padPlanes` for a stride-2 convolution: each padded row stored split by column phase, its even
/// columns and then its odd ones (`ConvolutionGeometry.columnPhases`), so that each tap of the
/// convolution reads consecutive floats where it would read every other one. The copy takes the
/// same even and odd halves of sixteen floats the convolution would have taken, once per input float
/// instead of once per tap. Never inlined: in its step's body it would leave the convolution after it
/// past the inliner's block limit (docs/codegen.md), and a copy gains nothing from constant sizes.
@inline(never)
package func padPlanesByColumnPhase(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                                    channels: Int, height: Int, width: Int, margins: Margins, mode: BorderMode,
                                    share: WorkShare = .whole) {
    let paddedWidth = width + margins.left + margins.right
    let evenCount = (paddedWidth + 1) / 2
    forEachPaddedRow(source, into: destination, channels: channels, height: height, width: width, margins: margins, mode: mode,
                     share: share) { outRow, sourceRow in
        for phase in 0..<2 {
            // Entry j of this phase is padded column 2j + phase, input column 2j + phase − left.
            let target = outRow + phase * evenCount
            let count = phase == 0 ? evenCount : paddedWidth - evenCount
            var j = 0
            while j < count && 2 * j + phase < margins.left {
                target[j] = mode.value(sourceRow, 2 * j + phase - margins.left, width)
                j += 1
            }
            while j + 8 <= count && 2 * (j + 7) + phase - margins.left < width {
                let column = 2 * j + phase - margins.left
                target.storeVector(loadPixels(sourceRow + column, stride: 2, lanes: 8, available: width - column, rowWidth: width), at: j)
                j += 8
            }
            while j < count {
                target[j] = mode.value(sourceRow, 2 * j + phase - margins.left, width)
                j += 1
            }
        }
    }
}

/// The row walk both padding copies share: each padded row of this part's planes, filled whole where
/// a constant border covers it, otherwise handed to `fill` with the input row it copies (by `mode`).
@inline(__always)
func forEachPaddedRow(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, channels: Int, height: Int,
                      width: Int, margins: Margins, mode: BorderMode, share: WorkShare,
                      _ fill: (_ outRow: UnsafeMutablePointer<Float>, _ sourceRow: UnsafePointer<Float>) -> Void) {
    let paddedHeight = height + margins.top + margins.bottom
    let paddedWidth = width + margins.left + margins.right
    for channel in share.range(channels) {
        let input = source + channel * height * width
        let output = destination + channel * paddedHeight * paddedWidth
        for row in 0..<paddedHeight {
            let outRow = output + row * paddedWidth
            let inputRow = row - margins.top
            if case .constant(let value) = mode, inputRow < 0 || inputRow >= height {
                outRow.update(repeating: value, count: paddedWidth)
                continue
            }
            fill(outRow, input + mode.source(inputRow, height) * width)
        }
    }
}
