/// The fixed shape of one transposed convolution (`conv_transpose`).
package struct TransposedGeometry: Hashable, Sendable {
    package var inChannels: Int, outChannels: Int, groups: Int
    package var inHeight: Int, inWidth: Int
    package var outHeight: Int, outWidth: Int
    package var kernelHeight: Int, kernelWidth: Int
    package var strideHeight: Int, strideWidth: Int
    package var dilationHeight: Int, dilationWidth: Int
    /// Rows and columns cropped from the top and left of the full output.
    package var padTop: Int, padLeft: Int

    package init(inChannels: Int, outChannels: Int, groups: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
                 kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int,
                 padTop: Int, padLeft: Int) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.groups = groups
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.outHeight = outHeight
        self.outWidth = outWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
        self.padTop = padTop
        self.padLeft = padLeft
    }

    package var inChannelsPerGroup: Int { inChannels / groups }
    package var outChannelsPerGroup: Int { outChannels / groups }
}

/// Output channels computed together by `convolveTransposed`, one per vector lane.
package let transposedChannelBlock = 8

/// Floats of the weights packed by `packForTransposed`.
package func transposedPackedCount(_ g: TransposedGeometry) -> Int {
    g.groups * roundUp(g.outChannelsPerGroup, to: transposedChannelBlock) * g.inChannelsPerGroup * g.kernelHeight * g.kernelWidth
}

/// Reorders PyTorch's `[in, out/groups, kh, kw]` into `[group][channel block][in/groups][kh][kw][8]`, so
/// the kernel loads the eight output channels of one tap as one vector; zero-filled past the last channel.
package func packForTransposed(_ weights: [Float], geometry g: TransposedGeometry) -> [Float] {
    let perGroupIn = g.inChannelsPerGroup, perGroupOut = g.outChannelsPerGroup
    let taps = g.kernelHeight * g.kernelWidth
    let blocks = roundUp(perGroupOut, to: transposedChannelBlock) / transposedChannelBlock
    var packed = [Float](repeating: 0, count: transposedPackedCount(g))
    for group in 0..<g.groups {
        for block in 0..<blocks {
            for channel in 0..<perGroupIn {
                for tap in 0..<taps {
                    for lane in 0..<transposedChannelBlock {
                        let out = block * transposedChannelBlock + lane
                        guard out < perGroupOut else { continue }
                        let source = ((group * perGroupIn + channel) * perGroupOut + out) * taps + tap
                        packed[(((group * blocks + block) * perGroupIn + channel) * taps + tap) * transposedChannelBlock + lane] = weights[source]
                    }
                }
            }
        }
    }
    return packed
}

/// A transposed convolution written as a gather: each output pixel sums, for eight output channels at
/// once, every input pixel that a kernel tap carries to it — input channel, then kernel row, then
/// kernel column, ascending (the reference order) — then adds the bias and applies the activation.
@inline(__always)
package func convolveTransposed(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                output: UnsafeMutablePointer<Float>, geometry g: TransposedGeometry, activation: some ActivationKernel) {
    let perGroupIn = g.inChannelsPerGroup, perGroupOut = g.outChannelsPerGroup
    let taps = g.kernelHeight * g.kernelWidth
    let blocks = roundUp(perGroupOut, to: transposedChannelBlock) / transposedChannelBlock
    let inPlane = g.inHeight * g.inWidth, outPlane = g.outHeight * g.outWidth
    for group in 0..<g.groups {
        for block in 0..<blocks {
            let weights = packedWeights + (group * blocks + block) * perGroupIn * taps * transposedChannelBlock
            let firstChannel = group * perGroupOut + block * transposedChannelBlock
            let channels = min(transposedChannelBlock, perGroupOut - block * transposedChannelBlock)
            var shift = SIMD8<Float>()
            if let bias { for lane in 0..<channels { shift[lane] = bias[firstChannel + lane] } }
            for y in 0..<g.outHeight {
                for x in 0..<g.outWidth {
                    var sum = SIMD8<Float>()
                    for channel in 0..<perGroupIn {
                        let plane = input + (group * perGroupIn + channel) * inPlane
                        let channelWeights = weights + channel * taps * transposedChannelBlock
                        for ky in 0..<g.kernelHeight {
                            let rowOffset = y + g.padTop - ky * g.dilationHeight
                            guard rowOffset >= 0, rowOffset % g.strideHeight == 0 else { continue }
                            let row = rowOffset / g.strideHeight
                            guard row < g.inHeight else { continue }
                            for kx in 0..<g.kernelWidth {
                                let columnOffset = x + g.padLeft - kx * g.dilationWidth
                                guard columnOffset >= 0, columnOffset % g.strideWidth == 0 else { continue }
                                let column = columnOffset / g.strideWidth
                                guard column < g.inWidth else { continue }
                                sum.accumulate(SIMD8(repeating: plane[row * g.inWidth + column]),
                                               channelWeights.loadVector(at: (ky * g.kernelWidth + kx) * transposedChannelBlock))
                            }
                        }
                    }
                    let result = activation.apply(sum + shift)
                    let destination = output + firstChannel * outPlane + y * g.outWidth + x
                    for lane in 0..<channels { destination[lane * outPlane] = result[lane] }
                }
            }
        }
    }
}
