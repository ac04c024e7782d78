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
            let sourceRow = input + mode.source(inputRow, height) * width
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
}
