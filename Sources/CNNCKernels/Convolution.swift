/// The fixed shape of one convolution. Generated code passes it as literal constants into the
/// always-inlined kernels below, so every loop bound is a compile-time constant after inlining.
package struct ConvolutionGeometry: Hashable, Sendable {
    package var inChannels: Int, outChannels: Int, groups: Int
    /// Sides of the input the kernel reads: already padded when the layer pads.
    package var inHeight: Int, inWidth: Int
    package var outHeight: Int, outWidth: Int
    package var kernelHeight: Int, kernelWidth: Int
    package var strideHeight: Int, strideWidth: Int
    package var dilationHeight: Int, dilationWidth: Int
    /// 2 where each input row is stored split by column phase, its even columns and then its odd ones
    /// (`padPlanesByColumnPhase`): at stride 2 across, a tap's pixels are then consecutive floats.
    /// Otherwise 1.
    package var columnPhases: Int

    package init(inChannels: Int, outChannels: Int, groups: Int, inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int, dilationHeight: Int, dilationWidth: Int,
                columnPhases: Int = 1) {
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
        self.columnPhases = columnPhases
    }

    package var inChannelsPerGroup: Int { inChannels / groups }
    package var outChannelsPerGroup: Int { outChannels / groups }
    /// Terms of each output's sum: `in/groups · kh · kw`.
    package var reduction: Int { inChannelsPerGroup * kernelHeight * kernelWidth }
    package var outPlane: Int { outHeight * outWidth }
    package var inPlane: Int { inHeight * inWidth }
    /// Whether a tap reads consecutive floats of an input row: at stride 1, or at stride 2 from rows
    /// split by column phase.
    package var readsConsecutiveColumns: Bool { strideWidth == 1 || (strideWidth == 2 && columnPhases == 2) }
    /// Where, in a stored input row, output column `x` finds the input of a tap `tapColumn` padded
    /// columns to the right of its window's start (padded column `x · stride + tapColumn`): there, or
    /// in rows split by phase at half that column, counted from the start of its phase.
    @inline(__always)
    package func storedColumn(outputColumn x: Int, tapColumn: Int) -> Int {
        columnPhases == 2 ? (tapColumn & 1) * ((inWidth + 1) / 2) + (tapColumn >> 1) + x : x * strideWidth + tapColumn
    }
    /// A 1×1 convolution with stride 1 reads its input as a ready-made matrix.
    package var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1 && inHeight == outHeight && inWidth == outWidth
    }
}

// MARK: Direct convolution

/// Output channels `convolveDirect` computes together, sharing every input vector it loads: 4, 6 or 8,
/// whichever wastes fewest lanes on the last block; but six where the kernel can then take two
/// vectors of pixels (stride 1 across, rows of sixteen or more, or vectors that span rows) and that
/// computes at most an eighth more channels than eight would: twelve independent sums instead of
/// eight. resnet_cifar's 16-channel 3×3 layers (18 channels computed) took 0.84–0.88× the time,
/// lenet5's c3 0.94× (ABBA rounds of `--profile`, 2026-12-03). Where a multiple of four channels is
/// not one of six, blocks of four with two vectors compute no channel in vain: resnet_cifar's
/// 16-channel layers took 0.95× the time of blocks of six, its conv1 0.94× (every one of eight
/// rounds faster); but mobile_block's 1×1 layer (16 → 32) 1.10×, so 1×1 layers keep six. Blocks of
/// four now take three vectors where the reduction has 16 terms or more: twelve sums again, none in
/// vain (resnet_cifar's 16-channel layers 0.94–0.95× the time of two vectors, unet_small's 0.92×).
@inline(__always)
package func directChannelBlock(_ g: ConvolutionGeometry) -> Int {
    // Plain arithmetic on the (literal) geometry, so the block size folds to a constant where the
    // kernel is inlined and its unused accumulators vanish.
    let channels = g.outChannelsPerGroup
    if channels <= 4 { return 4 }
    if channels <= 6 { return 6 }
    let twoVectors = (g.readsConsecutiveColumns && g.outWidth >= 16) || canSpanRows(g)
    if twoVectors && channels % 4 == 0 && channels % 6 != 0 && g.kernelHeight * g.kernelWidth > 1 { return 4 }
    if twoVectors && 8 * roundUp(channels, to: 6) <= 9 * roundUp(channels, to: 8) { return 6 }
    return roundUp(channels, to: 6) < roundUp(channels, to: 8) ? 6 : 8
}

/// Whether `convolveDirectSpanningRows` can take this layer: stride 1 both ways (a vertical stride
/// breaks the order of its shifted copy's rows), rows of at least eight pixels, more than one row.
@inline(__always)
package func canSpanRows(_ g: ConvolutionGeometry) -> Bool {
    g.strideWidth == 1 && g.strideHeight == 1 && g.outWidth >= 8 && g.outHeight > 1
}

/// Floats of the weights packed by `packForDirect`.
package func directPackedCount(_ g: ConvolutionGeometry) -> Int {
    g.groups * roundUp(g.outChannelsPerGroup, to: directChannelBlock(g)) * g.reduction
}

/// Reorders `[out, in/groups, kh, kw]` weights into blocks of output channels, each `[tap][block]`, so the
/// kernel reads one block's weights for a tap from consecutive floats; zero-filled past the last channel.
package func packForDirect(_ weights: [Float], geometry g: ConvolutionGeometry) -> [Float] {
    packInBlocks(weights, rows: g.outChannelsPerGroup, groups: g.groups, reduction: g.reduction, block: directChannelBlock(g))
}

/// `[group][row block][k][block]` from `[group · rows][k]`, zero-padded rows.
func packInBlocks(_ weights: [Float], rows: Int, groups: Int, reduction: Int, block: Int) -> [Float] {
    let blocks = roundUp(rows, to: block) / block
    var packed = [Float](repeating: 0, count: groups * blocks * block * reduction)
    weights.withUnsafeBufferPointer { weights in
        packed.withUnsafeMutableBufferPointer { packed in
            packInBlocks(weights.baseAddress!, into: packed.baseAddress!, rows: rows, groups: groups, reduction: reduction, block: block)
        }
    }
    return packed
}

func packInBlocks(_ weights: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>, rows: Int, groups: Int, reduction: Int, block: Int) {
    let blocks = roundUp(rows, to: block) / block
    for group in 0..<groups {
        for blockIndex in 0..<blocks {
            for k in 0..<reduction {
                for lane in 0..<block {
                    let row = blockIndex * block + lane
                    packed[((group * blocks + blockIndex) * reduction + k) * block + lane] = row < rows ? weights[(group * rows + row) * reduction + k] : 0
                }
            }
        }
    }
}

/// A convolution computed directly, without gathering columns: one, two or three vectors of eight
/// outputs at a time, for a block of four, six or eight output channels that share each loaded input
/// vector. Best when each output sums few terms, where building a matrix for GEMM would cost more than
/// the arithmetic. Weights come packed by `packForDirect`.
///
/// Three vectors are consecutive ones of the plane's vectors numbered row by row, and may lie in two
/// rows: each loads its taps from its own place. A row's last vector overlaps the one before it rather
/// than leaving a scalar tail, and the plane's last unit of three overlaps the unit before it;
/// recomputing those lanes stores the same values again (the residual is never the output, so the
/// recomputed lanes read the same residual).
///
/// Each output adds its terms in the reference order — input channel, kernel row, kernel column —
/// then the bias, then the residual (the other operand of an `add` fused into this step), then the
/// activation.
@inline(__always)
package func convolveDirect(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                            residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                            activation: some ActivationKernel, share: WorkShare = .whole) {
    let perGroupIn = g.inChannelsPerGroup
    let perGroupOut = g.outChannelsPerGroup
    let block = directChannelBlock(g)
    let blocks = roundUp(perGroupOut, to: block) / block
    let lanes = min(8, g.outWidth)
    let perRow = (g.outWidth + 7) / 8
    let vectors = perRow * g.outHeight
    // Up to six channels leave registers for a second vector of pixels, four for a third: twelve
    // accumulators hide the multiply-add latency, and each weight broadcast serves 16 or 24 outputs.
    // (At stride 2 the shuffled loads need the registers, unless the rows are split by phase. Below 16
    // terms the third vector took longer: unet_small's enc1.conv1, nine terms, 1.18× the time of two.)
    let span = block <= 6 && g.outWidth >= 16 && g.readsConsecutiveColumns
        ? (block == 4 && vectors >= 3 && g.reduction >= 16 ? 3 : 2) : 1
    // Three vectors take the plane's vectors in order, across rows; one or two take places in a row,
    // two side by side, so that the second's loads sit at a constant distance from the first's.
    let flat = span == 3
    let perRowUnits = (g.outWidth + 8 * span - 1) / (8 * span)
    let spans = flat ? (vectors + 2) / 3 : g.outHeight * perRowUnits
    // One unit of work is `span` vectors of one channel block; parts take consecutive units.
    for unit in share.range(g.groups * blocks * spans) {
        let index = unit % spans
        let blockIndex = unit / spans % blocks
        let group = unit / (spans * blocks)
        let groupInput = input + group * perGroupIn * g.inPlane
        let weights = packedWeights + (group * blocks + blockIndex) * g.reduction * block
        let firstChannel = group * perGroupOut + blockIndex * block
        let channels = min(block, perGroupOut - blockIndex * block)
        // Each vector's output row and column.
        let first = min(index * 3, vectors - 3)
        let y0 = flat ? first / perRow : index / perRowUnits
        let x0 = flat ? min(first % perRow * 8, g.outWidth - 8) : min(index % perRowUnits * 8 * span, g.outWidth - lanes * span)
        let y1 = flat ? (first + 1) / perRow : y0, x1 = flat ? min((first + 1) % perRow * 8, g.outWidth - 8) : x0 + 8
        let y2 = flat ? (first + 2) / perRow : y0, x2 = flat ? min((first + 2) % perRow * 8, g.outWidth - 8) : x0 + 8
        let origin0 = groupInput + y0 * g.strideHeight * g.inWidth + g.storedColumn(outputColumn: x0, tapColumn: 0)
        let origin1 = groupInput + y1 * g.strideHeight * g.inWidth + g.storedColumn(outputColumn: x1, tapColumn: 0)
        let origin2 = groupInput + y2 * g.strideHeight * g.inWidth + g.storedColumn(outputColumn: x2, tapColumn: 0)
        let pixelStride = g.columnPhases == 2 ? 1 : g.strideWidth
        var sums = ChannelBlockSums()
        var tap = weights
        for groupChannel in 0..<perGroupIn {
            for ky in 0..<g.kernelHeight {
                let rowOffset = groupChannel * g.inPlane + ky * g.dilationHeight * g.inWidth
                for kx in 0..<g.kernelWidth {
                    let offset = rowOffset + g.storedColumn(outputColumn: 0, tapColumn: kx * g.dilationWidth)
                    let column = x0 * g.strideWidth + kx * g.dilationWidth
                    let pixels = loadPixels(origin0 + offset, stride: pixelStride, lanes: lanes, available: g.inWidth - column, rowWidth: g.inWidth)
                    let more = span >= 2 ? (origin1 + offset).loadVector(at: 0) : SIMD8<Float>()
                    let third = span == 3 ? (origin2 + offset).loadVector(at: 0) : SIMD8<Float>()
                    sums.add(tap, pixels, more, third, block: block, vectors: span)
                    tap += block
                }
            }
        }
        let plane = g.outPlane
        let destination0 = output + firstChannel * plane + y0 * g.outWidth + x0
        let destination1 = output + firstChannel * plane + y1 * g.outWidth + x1
        let destination2 = output + firstChannel * plane + y2 * g.outWidth + x2
        @inline(__always)
        func store(_ channel: Int, _ sum0: SIMD8<Float>, _ sum1: SIMD8<Float>, _ sum2: SIMD8<Float>) {
            let shift = bias?[firstChannel + channel] ?? 0
            let to0 = destination0 + channel * plane
            storeDirect(to0, sum0, shift: shift, residual: residual.map { $0 + (to0 - output) }, lanes: lanes, activation: activation)
            if span >= 2 {
                let to1 = destination1 + channel * plane
                storeDirect(to1, sum1, shift: shift, residual: residual.map { $0 + (to1 - output) }, lanes: 8, activation: activation)
            }
            if span == 3 {
                let to2 = destination2 + channel * plane
                storeDirect(to2, sum2, shift: shift, residual: residual.map { $0 + (to2 - output) }, lanes: 8, activation: activation)
            }
        }
        sums.forEach(channels, store)
    }
}

/// The sums of one channel block of the direct kernels: a vector of pixels for each of up to eight
/// channels, a second vector for each of up to six, and a third for each of four (in the registers
/// channels 4 to 7 would use). Transparent, so that after inlining the sums are registers and the
/// unused ones vanish.
struct ChannelBlockSums {
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
    var s4 = SIMD8<Float>(), s5 = SIMD8<Float>(), s6 = SIMD8<Float>(), s7 = SIMD8<Float>()
    var t0 = SIMD8<Float>(), t1 = SIMD8<Float>(), t2 = SIMD8<Float>(), t3 = SIMD8<Float>()
    var t4 = SIMD8<Float>(), t5 = SIMD8<Float>()

    /// Adds one tap: `weights[0 ..< block]` (one per channel) times `pixels`, times `more` when
    /// `vectors` is 2 or 3, and times `third` when it is 3 (blocks of four only).
    @_transparent
    mutating func add(_ weights: UnsafePointer<Float>, _ pixels: SIMD8<Float>, _ more: SIMD8<Float>, _ third: SIMD8<Float>,
                      block: Int, vectors: Int) {
        let w0 = SIMD8<Float>(repeating: weights[0]), w1 = SIMD8<Float>(repeating: weights[1])
        let w2 = SIMD8<Float>(repeating: weights[2]), w3 = SIMD8<Float>(repeating: weights[3])
        if vectors == 3 {
            // One weight's three products together: its broadcast is then dead, and the twelve sums, three
            // pixel vectors and one broadcast fit x86-64-v3's sixteen registers.
            s0.accumulate(w0, pixels); t0.accumulate(w0, more); s4.accumulate(w0, third)
            s1.accumulate(w1, pixels); t1.accumulate(w1, more); s5.accumulate(w1, third)
            s2.accumulate(w2, pixels); t2.accumulate(w2, more); s6.accumulate(w2, third)
            s3.accumulate(w3, pixels); t3.accumulate(w3, more); s7.accumulate(w3, third)
            return
        }
        s0.accumulate(w0, pixels)
        s1.accumulate(w1, pixels)
        s2.accumulate(w2, pixels)
        s3.accumulate(w3, pixels)
        if vectors == 2 {
            t0.accumulate(w0, more)
            t1.accumulate(w1, more)
            t2.accumulate(w2, more)
            t3.accumulate(w3, more)
        }
        if block >= 6 {
            let w4 = SIMD8<Float>(repeating: weights[4]), w5 = SIMD8<Float>(repeating: weights[5])
            s4.accumulate(w4, pixels)
            s5.accumulate(w5, pixels)
            if vectors == 2 {
                t4.accumulate(w4, more)
                t5.accumulate(w5, more)
            }
        }
        if block == 8 {
            s6.accumulate(SIMD8(repeating: weights[6]), pixels)
            s7.accumulate(SIMD8(repeating: weights[7]), pixels)
        }
    }

    /// `body(channel, first vector, second vector, third vector)` for the block's first `channels`
    /// channels (the third is meaningful in blocks of four only).
    @_transparent
    func forEach(_ channels: Int, _ body: (Int, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) -> Void) {
        body(0, s0, t0, s4)
        if channels > 1 { body(1, s1, t1, s5) }
        if channels > 2 { body(2, s2, t2, s6) }
        if channels > 3 { body(3, s3, t3, s7) }
        if channels > 4 { body(4, s4, t4, SIMD8()) }
        if channels > 5 { body(5, s5, t5, SIMD8()) }
        if channels > 6 { body(6, s6, SIMD8(), SIMD8()) }
        if channels > 7 { body(7, s7, SIMD8(), SIMD8()) }
    }
}

/// Floats of the scratch `convolveDirectSpanningRows` fills: the input shifted once per kernel column,
/// or nothing where the input already has that layout (one kernel column, rows as long as the output's).
package func spanningRowsScratchCount(_ g: ConvolutionGeometry) -> Int {
    readsInputAsShifted(g) ? 0 : g.inChannels * g.kernelWidth * g.inHeight * g.outWidth
}

@inline(__always)
func readsInputAsShifted(_ g: ConvolutionGeometry) -> Bool {
    g.kernelWidth == 1 && g.inWidth == g.outWidth
}

/// `convolveDirect` over the output plane as one long row: eight (sixteen for blocks of six, 24 for
/// blocks of four) consecutive output pixels at a time, which may span rows, for a block of four, six
/// or eight output channels. For stride-1 layers whose short rows would leave many lanes of row vectors
/// idle (lenet5's c3: rows of 10 in 16 lanes, 100 pixels in 13 vectors here).
///
/// First the input is copied into `scratch` once per kernel column `kx`, each row cut to the output's
/// width and starting at column `kx`: there, output pixel `p`'s input for the tap (`ky`, `kx`) lies at
/// `p + ky · outWidth` of the `kx` copy, so the pixels of a vector are consecutive whichever rows they
/// lie in. (Loading each vector at its own row's place and at the next row's and blending the two
/// took 1.4× as long on c3.) A 1×1 layer's unpadded input is that copy already. Each part of a split
/// call fills its own scratch. The rows are at least
/// eight pixels long. Same packed weights and the same order of sums as `convolveDirect`.
@inline(__always)
package func convolveDirectSpanningRows(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                        residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>,
                                        geometry g: ConvolutionGeometry, activation: some ActivationKernel,
                                        scratch: UnsafeMutablePointer<Float>, share: WorkShare = .whole) {
    let perGroupIn = g.inChannelsPerGroup
    let perGroupOut = g.outChannelsPerGroup
    let block = directChannelBlock(g)
    let blocks = roundUp(perGroupOut, to: block) / block
    let pixels = g.outPlane
    let shiftedPlane = g.inHeight * g.outWidth
    let shifted = shiftRows(input, geometry: g, into: scratch)
    // Up to six channels leave registers for a second vector, four for a third: twelve independent sums.
    let span = block <= 6 && pixels >= 16 ? (block == 4 && pixels >= 24 && g.reduction >= 16 ? 3 : 2) : 1
    let step = 8 * span
    let vectors = (pixels + step - 1) / step
    // One unit of work is `step` pixels of one channel block; parts take consecutive units. The last
    // unit overlaps the one before it and stores the same values again in the lanes they share.
    for unit in share.range(g.groups * blocks * vectors) {
        let first = min(unit % vectors * step, pixels - step)
        let blockIndex = unit / vectors % blocks
        let group = unit / (vectors * blocks)
        let origin = shifted + group * perGroupIn * g.kernelWidth * shiftedPlane + first
        let weights = packedWeights + (group * blocks + blockIndex) * g.reduction * block
        let firstChannel = group * perGroupOut + blockIndex * block
        let channels = min(block, perGroupOut - blockIndex * block)
        var sums = ChannelBlockSums()
        var tap = weights
        for groupChannel in 0..<perGroupIn {
            for ky in 0..<g.kernelHeight {
                for kx in 0..<g.kernelWidth {
                    let source = origin + (groupChannel * g.kernelWidth + kx) * shiftedPlane + ky * g.dilationHeight * g.outWidth
                    let values = source.loadVector(at: 0)
                    let more = span >= 2 ? source.loadVector(at: 8) : SIMD8<Float>()
                    let third = span == 3 ? source.loadVector(at: 16) : SIMD8<Float>()
                    sums.add(tap, values, more, third, block: block, vectors: span)
                    tap += block
                }
            }
        }
        @inline(__always) func store(_ channel: Int, _ sum0: SIMD8<Float>, _ sum1: SIMD8<Float>, _ sum2: SIMD8<Float>) {
            let destination = output + (firstChannel + channel) * pixels + first
            let shift = bias?[firstChannel + channel] ?? 0
            let added = residual.map { $0 + (destination - output) }
            storeDirect(destination, sum0, shift: shift, residual: added, lanes: 8, activation: activation)
            if span >= 2 { storeDirect(destination + 8, sum1, shift: shift, residual: added.map { $0 + 8 }, lanes: 8, activation: activation) }
            if span == 3 { storeDirect(destination + 16, sum2, shift: shift, residual: added.map { $0 + 16 }, lanes: 8, activation: activation) }
        }
        sums.forEach(channels, store)
    }
}

/// The input as the row-spanning kernels read it: copied into `scratch` once per kernel column `kx`,
/// each row cut to the output's width and starting at column `kx` (`convolveDirectSpanningRows`), or
/// the input itself where it has that layout already.
@inline(__always)
func shiftRows(_ input: UnsafePointer<Float>, geometry g: ConvolutionGeometry, into scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
    if readsInputAsShifted(g) { return input }
    let shiftedPlane = g.inHeight * g.outWidth
    for channel in 0..<g.inChannels {
        for kx in 0..<g.kernelWidth {
            let copy = scratch + (channel * g.kernelWidth + kx) * shiftedPlane
            let source = input + channel * g.inPlane + kx * g.dilationWidth
            for row in 0..<g.inHeight {
                let from = source + row * g.inWidth, to = copy + row * g.outWidth
                // The row's last vector overlaps the one before it.
                var x = 0
                while x < g.outWidth {
                    let start = min(x, g.outWidth - 8)
                    to.storeVector(from.loadVector(at: start), at: start)
                    x = start + 8
                }
            }
        }
    }
    return UnsafePointer(scratch)
}

/// How a depthwise convolution pads its input: one plane at a time into `scratch`, which the kernel
/// then reads as its geometry's (padded) input plane.
package struct PlanePadding {
    package var margins: Margins
    package var mode: BorderMode
    /// Room for one padded plane (the geometry's `inHeight × inWidth`).
    package var scratch: UnsafeMutablePointer<Float>

    package init(margins: Margins, mode: BorderMode, scratch: UnsafeMutablePointer<Float>) {
        self.margins = margins
        self.mode = mode
        self.scratch = scratch
    }
}

/// A depthwise convolution (each output channel reads one input channel, as an image filter does):
/// two rows of 32 outputs (or four of 16 on narrower planes) at a time where the rows share input rows, then a row's 64 or 32 outputs at
/// a time, then eight. Weights in PyTorch layout `[C, 1, kh, kw]`.
///
/// With `padding`, `input` is unpadded and each plane is padded into the scratch just before its
/// rows are computed. The copy stays in the L1 or L2 cache, where a padded copy of the whole input
/// would write every line of a buffer as large as the input, lines another thread may have written
/// last (mobilenetv2_block's stride-2 depthwise step took 1.6× its one-thread time on two threads).
@inline(__always)
package func convolveDepthwise(_ input: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                               activation: some ActivationKernel, padding: PlanePadding? = nil, share: WorkShare = .whole) {
    let taps = g.kernelHeight * g.kernelWidth
    var paddedChannel = -1
    // One unit of work is one output row of one channel.
    let units = share.range(g.outChannels * g.outHeight)
    var unit = units.lowerBound
    while unit < units.upperBound {
        let channel = unit / g.outHeight, y = unit % g.outHeight
        let plane: UnsafePointer<Float>
        if let padding {
            let height = g.inHeight - padding.margins.top - padding.margins.bottom
            let width = g.inWidth - padding.margins.left - padding.margins.right
            if channel != paddedChannel {
                if case .constant = padding.mode, paddedChannel >= 0 {
                    // The border is the same constant for every plane: only the interior changes.
                    let source = input + channel * height * width
                    let interior = padding.scratch + padding.margins.top * g.inWidth + padding.margins.left
                    for row in 0..<height { (interior + row * g.inWidth).update(from: source + row * width, count: width) }
                } else {
                    padPlanes(input + channel * height * width, into: padding.scratch, channels: 1, height: height, width: width,
                              margins: padding.margins, mode: padding.mode)
                }
                paddedChannel = channel
            }
            plane = UnsafePointer(padding.scratch)
        } else {
            plane = input + channel * g.inPlane
        }
        let rowBase = plane + y * g.strideHeight * g.inWidth
        let filter = weights + channel * taps
        let shift = bias?[channel] ?? 0
        let offset = channel * g.outPlane + y * g.outWidth
        // Where rows share input rows (stride and dilation 1), several at once: each input vector loaded
        // serves all of them. Two rows of 32 pixels (blur: 0.77× the time), or four of 16 on narrower
        // planes, whose rows give one or two vectors: eight independent sums instead of a row's two.
        let sharesRows = g.strideHeight == 1 && g.dilationHeight == 1
        let rowsLeft = min(units.upperBound - unit, g.outHeight - y)
        let rows = sharesRows && g.outWidth >= 32 && rowsLeft >= 2 ? 2 : sharesRows && g.outWidth >= 16 && rowsLeft >= 4 ? 4 : 1
        var x = 0
        if rows == 2 {
            x = depthwiseRowPair(rowBase, filter: filter, shift: shift, residual: residual.map { $0 + offset },
                                 output: output + offset, geometry: g, activation: activation)
        } else if rows == 4 {
            x = depthwiseFourRows(rowBase, filter: filter, shift: shift, residual: residual.map { $0 + offset },
                                  output: output + offset, geometry: g, activation: activation)
        }
        for row in 0..<rows {
            depthwiseRow(rowBase + row * g.inWidth, from: x, filter: filter, shift: shift, residual: residual.map { $0 + offset + row * g.outWidth },
                         output: output + offset + row * g.outWidth, geometry: g, activation: activation)
        }
        unit += rows
    }
}

/// Four output rows of one depthwise plane at stride and dilation 1, 16 pixels at a time, the input
/// rows they share loaded once for all four. Returns where the remaining columns start.
@_transparent
func depthwiseFourRows(_ rowBase: UnsafePointer<Float>, filter: UnsafePointer<Float>, shift: Float, residual: UnsafePointer<Float>?,
                       output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry, activation: some ActivationKernel) -> Int {
    var x = 0
    while x + 16 <= g.outWidth {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), b0 = SIMD8<Float>(), b1 = SIMD8<Float>()
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), d0 = SIMD8<Float>(), d1 = SIMD8<Float>()
        // Input row i is kernel row i − r of output row r; each output still sums its taps in the
        // reference order.
        for i in 0..<g.kernelHeight + 3 {
            let sourceRow = rowBase + i * g.inWidth + x
            for kx in 0..<g.kernelWidth {
                let p0 = sourceRow.loadVector(at: kx), p1 = sourceRow.loadVector(at: kx + 8)
                @inline(__always) func weight(_ row: Int) -> SIMD8<Float> { SIMD8(repeating: filter[(i - row) * g.kernelWidth + kx]) }
                if i < g.kernelHeight {
                    let w = weight(0)
                    a0.accumulate(w, p0)
                    a1.accumulate(w, p1)
                }
                if i >= 1 && i - 1 < g.kernelHeight {
                    let w = weight(1)
                    b0.accumulate(w, p0)
                    b1.accumulate(w, p1)
                }
                if i >= 2 && i - 2 < g.kernelHeight {
                    let w = weight(2)
                    c0.accumulate(w, p0)
                    c1.accumulate(w, p1)
                }
                if i >= 3 {
                    let w = weight(3)
                    d0.accumulate(w, p0)
                    d1.accumulate(w, p1)
                }
            }
        }
        @inline(__always) func store(_ at: Int, _ sum: SIMD8<Float>) {
            storeDirect(output + at, sum, shift: shift, residual: residual.map { $0 + at }, lanes: 8, activation: activation)
        }
        store(x, a0)
        store(x + 8, a1)
        store(g.outWidth + x, b0)
        store(g.outWidth + x + 8, b1)
        store(2 * g.outWidth + x, c0)
        store(2 * g.outWidth + x + 8, c1)
        store(3 * g.outWidth + x, d0)
        store(3 * g.outWidth + x + 8, d1)
        x += 16
    }
    return x
}

/// Two output rows of one depthwise plane at stride and dilation 1, 32 pixels at a time: the input
/// rows they share are loaded once for both. Returns where the remaining columns start.
/// Transparent, as `depthwiseRow` is: with `@inline(__always)` the optimizer kept both out of line,
/// their geometry no longer constant (blur took 1.08× the time of the one-row kernel).
@_transparent
func depthwiseRowPair(_ rowBase: UnsafePointer<Float>, filter: UnsafePointer<Float>, shift: Float, residual: UnsafePointer<Float>?,
                      output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry, activation: some ActivationKernel) -> Int {
    var x = 0
    while x + 32 <= g.outWidth {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>()
        // Input row i is kernel row i of the first output row and kernel row i − 1 of the second; each
        // output still sums its taps in the reference order.
        for i in 0...g.kernelHeight {
            let sourceRow = rowBase + i * g.inWidth + x
            for kx in 0..<g.kernelWidth {
                let p0 = sourceRow.loadVector(at: kx), p1 = sourceRow.loadVector(at: kx + 8)
                let p2 = sourceRow.loadVector(at: kx + 16), p3 = sourceRow.loadVector(at: kx + 24)
                if i < g.kernelHeight {
                    let weight = SIMD8(repeating: filter[i * g.kernelWidth + kx])
                    a0.accumulate(weight, p0)
                    a1.accumulate(weight, p1)
                    a2.accumulate(weight, p2)
                    a3.accumulate(weight, p3)
                }
                if i > 0 {
                    let weight = SIMD8(repeating: filter[(i - 1) * g.kernelWidth + kx])
                    b0.accumulate(weight, p0)
                    b1.accumulate(weight, p1)
                    b2.accumulate(weight, p2)
                    b3.accumulate(weight, p3)
                }
            }
        }
        @inline(__always) func store(_ at: Int, _ sum: SIMD8<Float>) {
            storeDirect(output + at, sum, shift: shift, residual: residual.map { $0 + at }, lanes: 8, activation: activation)
        }
        store(x, a0)
        store(x + 8, a1)
        store(x + 16, a2)
        store(x + 24, a3)
        store(g.outWidth + x, b0)
        store(g.outWidth + x + 8, b1)
        store(g.outWidth + x + 16, b2)
        store(g.outWidth + x + 24, b3)
        x += 32
    }
    return x
}

/// One output row of one depthwise plane from column `start` on: 64 or 32 outputs at a time, then eight.
@_transparent
func depthwiseRow(_ rowBase: UnsafePointer<Float>, from start: Int, filter: UnsafePointer<Float>, shift: Float, residual: UnsafePointer<Float>?,
                  output row: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry, activation: some ActivationKernel) {
    let lanes = min(8, g.outWidth)
    var x = start
    // Eight or four vectors at a time: each output's chain of dependent multiply-adds is long, so
    // several independent ones keep the FMA units busy, and each weight is loaded once for 32 or 64
    // pixels (blur's 256×256 filter: 0.76× the time of one vector at a time with four, about
    // 0.95× of that with eight).
    while x + 32 <= g.outWidth {
        let count = x + 64 <= g.outWidth ? 8 : 4
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        var s4 = SIMD8<Float>(), s5 = SIMD8<Float>(), s6 = SIMD8<Float>(), s7 = SIMD8<Float>()
        for ky in 0..<g.kernelHeight {
            let sourceRow = rowBase + ky * g.dilationHeight * g.inWidth
            for kx in 0..<g.kernelWidth {
                let weight = SIMD8(repeating: filter[ky * g.kernelWidth + kx])
                @inline(__always) func pixels(_ vector: Int) -> SIMD8<Float> {
                    let column = (x + 8 * vector) * g.strideWidth + kx * g.dilationWidth
                    return loadPixels(sourceRow + column, stride: g.strideWidth, lanes: 8, available: g.inWidth - column, rowWidth: g.inWidth)
                }
                s0.accumulate(weight, pixels(0))
                s1.accumulate(weight, pixels(1))
                s2.accumulate(weight, pixels(2))
                s3.accumulate(weight, pixels(3))
                if count == 8 {
                    s4.accumulate(weight, pixels(4))
                    s5.accumulate(weight, pixels(5))
                    s6.accumulate(weight, pixels(6))
                    s7.accumulate(weight, pixels(7))
                }
            }
        }
        @inline(__always) func store(_ vector: Int, _ sum: SIMD8<Float>) {
            storeDirect(row + x + 8 * vector, sum, shift: shift, residual: residual.map { $0 + x + 8 * vector }, lanes: 8, activation: activation)
        }
        store(0, s0)
        store(1, s1)
        store(2, s2)
        store(3, s3)
        if count == 8 {
            store(4, s4)
            store(5, s5)
            store(6, s6)
            store(7, s7)
        }
        x += 8 * count
    }
    while x < g.outWidth {
        let first = g.outWidth >= 8 ? min(x, g.outWidth - 8) : 0
        var sum = SIMD8<Float>()
        for ky in 0..<g.kernelHeight {
            let sourceRow = rowBase + ky * g.dilationHeight * g.inWidth
            for kx in 0..<g.kernelWidth {
                let column = first * g.strideWidth + kx * g.dilationWidth
                sum.accumulate(SIMD8(repeating: filter[ky * g.kernelWidth + kx]),
                               loadPixels(sourceRow + column, stride: g.strideWidth, lanes: lanes, available: g.inWidth - column, rowWidth: g.inWidth))
            }
        }
        storeDirect(row + first, sum, shift: shift, residual: residual.map { $0 + first }, lanes: lanes, activation: activation)
        x = first + lanes
    }
}

/// `lanes` input pixels `stride` apart, zeros above; `available` floats from `source` on lie in its row,
/// which is `rowWidth` long.
@inline(__always)
func loadPixels(_ source: UnsafePointer<Float>, stride: Int, lanes: Int, available: Int, rowWidth: Int) -> SIMD8<Float> {
    if stride == 1 && lanes == 8 { return source.loadVector(at: 0) }
    // At stride 2, the even half of sixteen floats: shuffles instead of eight loads. Eight pixels need
    // only fifteen, so at a row's end the odd half of the sixteen that start one float earlier, which
    // lie in a row of sixteen or more. (A third, run-time path here stops LLVM unrolling the tap loop.)
    if stride == 2 && lanes == 8 && rowWidth >= 16 {
        if available >= 16 { return UnsafeRawPointer(source).loadUnaligned(as: SIMD16<Float>.self).evenHalf }
        return UnsafeRawPointer(source - 1).loadUnaligned(as: SIMD16<Float>.self).oddHalf
    }
    var gathered = SIMD8<Float>()
    for lane in 0..<lanes { gathered[lane] = source[lane * stride] }
    return gathered
}

@inline(__always)
func storeDirect(_ destination: UnsafeMutablePointer<Float>, _ sum: SIMD8<Float>, shift: Float, residual: UnsafePointer<Float>?, lanes: Int,
                 activation: some ActivationKernel) {
    var value = sum + SIMD8(repeating: shift)
    if let residual { value += lanes == 8 ? residual.loadVector(at: 0) : residual.loadPartial(lanes) }
    let result = activation.apply(value)
    if lanes == 8 { destination.storeVector(result, at: 0) } else { destination.storePartial(result, lanes) }
}

// MARK: Convolution as matrix multiplication

/// Rows of output channels per register block of the GEMM micro-kernel.
package let gemmRowBlock = 6
/// Columns (output pixels) per register block: two 8-float vectors.
package let gemmColumnBlock = 16

/// Output pixels whose input columns are gathered at once: the gathered block of
/// `reduction × gemmPixelBlock` floats stays in the L2 cache for every channel block that reads it,
/// and the blocks of a plane are as even as the register blocks allow. The weights are read once per
/// block, so a layer whose weights exceed 1 MiB, which come from L3 every time, takes blocks of up
/// to 640 KiB instead of 128 KiB.
package func gemmPixelBlock(_ g: ConvolutionGeometry) -> Int {
    let kibibytes = gemmPackedCount(g) > 1 << 18 ? 640 : 128
    let largest = max(gemmColumnBlock, min(512, kibibytes * 256 / max(1, g.reduction))) / gemmColumnBlock * gemmColumnBlock
    let blocks = (g.outPlane + largest - 1) / largest
    return roundUp((g.outPlane + blocks - 1) / blocks, to: gemmColumnBlock)
}

/// Floats of scratch `convolveGEMM` needs for the gathered input block.
package func gemmScratchCount(_ g: ConvolutionGeometry) -> Int {
    g.reduction * roundUp(min(gemmPixelBlock(g), g.outPlane), to: gemmColumnBlock)
}

/// Floats of the packed weights of one convolution (`packForGEMM`).
package func gemmPackedCount(_ g: ConvolutionGeometry) -> Int {
    g.groups * roundUp(g.outChannelsPerGroup, to: gemmRowBlock) * g.reduction
}

@inline(__always)
func roundUp(_ value: Int, to multiple: Int) -> Int {
    (value + multiple - 1) / multiple * multiple
}

/// Reorders `[out, in/groups, kh, kw]` weights into panels of `gemmRowBlock` output channels, each
/// `[reduction][gemmRowBlock]`, zero-filled past the last channel; done once, when code is generated.
package func packForGEMM(_ weights: [Float], geometry g: ConvolutionGeometry) -> [Float] {
    packInBlocks(weights, rows: g.outChannelsPerGroup, groups: g.groups, reduction: g.reduction, block: gemmRowBlock)
}

/// A convolution as `out[m, p] = Σₖ W[m, k] · X[k, p]` per group, where X gathers the input pixels each
/// output pixel reads (im2col), one block of pixels at a time into `scratch`. A 1×1 stride-1
/// convolution reads its input as X directly. Weights come packed by `packForGEMM`.
///
/// Every output sums k in ascending order — input channel, kernel row, kernel column — then adds the
/// bias and the residual, and applies the activation.
@inline(__always)
package func convolveGEMM(_ input: UnsafePointer<Float>, packedWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         residual: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                         activation: some ActivationKernel, scratch: UnsafeMutablePointer<Float>, share: WorkShare = .whole) {
    let pixels = g.outPlane
    let rows = g.outChannelsPerGroup
    let panels = roundUp(rows, to: gemmRowBlock) / gemmRowBlock
    let reduction = g.reduction
    let block = gemmPixelBlock(g)
    // Parts split the pixels, in whole register blocks, where there are enough of them; otherwise the
    // panels of output channels, each part gathering the same columns into its own scratch.
    // A 1×1 convolution gathers nothing, so it splits its panels where there are two per part: each
    // part then writes whole channels, which the channel-split kernels after it read from its own cache.
    let splitsPixels = g.isPointwise
        ? panels < 2 * share.parts
        : roundUp(pixels, to: gemmColumnBlock) / gemmColumnBlock >= 4 * share.parts
    let pixelRange = splitsPixels ? share.range(pixels, granule: gemmColumnBlock) : 0..<pixels
    let panelRange = splitsPixels ? 0..<panels : share.range(panels)
    for group in 0..<g.groups {
        let groupInput = input + group * g.inChannelsPerGroup * g.inPlane
        var start = pixelRange.lowerBound
        while start < pixelRange.upperBound {
            let count = min(block, pixelRange.upperBound - start)
            let columns: UnsafePointer<Float>
            let stride: Int
            if g.isPointwise && count % gemmColumnBlock == 0 {
                columns = groupInput + start
                stride = pixels
            } else {
                gatherColumns(groupInput, into: scratch, geometry: g, start: start, count: count)
                columns = UnsafePointer(scratch)
                stride = roundUp(count, to: gemmColumnBlock)
            }
            for panel in panelRange {
                let firstRow = panel * gemmRowBlock
                let weights = packedWeights + (group * panels + panel) * reduction * gemmRowBlock
                let outputRow = group * rows + firstRow
                var column = 0
                while column < count {
                    let offset = outputRow * pixels + start + column
                    multiplyBlock(weights, columns + column, stride: stride, reduction: reduction,
                                  output: output + offset, residual: residual.map { $0 + offset }, outputStride: pixels,
                                  rows: min(gemmRowBlock, rows - firstRow), columns: min(gemmColumnBlock, count - column),
                                  bias: bias.map { $0 + outputRow }, activation: activation)
                    column += gemmColumnBlock
                }
            }
            start += count
        }
    }
}

/// X[k, j] for output pixels `start ..< start + count`, rows padded to a multiple of 16 with zeros.
@inline(__always)
func gatherColumns(_ input: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>, geometry g: ConvolutionGeometry,
                   start: Int, count: Int) {
    let stride = roundUp(count, to: gemmColumnBlock)
    var k = 0
    for channel in 0..<g.inChannelsPerGroup {
        let plane = input + channel * g.inPlane
        for ky in 0..<g.kernelHeight {
            for kx in 0..<g.kernelWidth {
                let row = columns + k * stride
                var j = 0
                var y = start / g.outWidth
                var x = start % g.outWidth
                while j < count {
                    let run = min(g.outWidth - x, count - j)
                    let source = plane + (y * g.strideHeight + ky * g.dilationHeight) * g.inWidth
                        + g.storedColumn(outputColumn: x, tapColumn: kx * g.dilationWidth)
                    if g.readsConsecutiveColumns {
                        // Runs are short (an output row); a call to memcpy per run would cost more than the copy.
                        var offset = 0
                        while offset + 8 <= run {
                            (row + j).storeVector(source.loadVector(at: offset), at: offset)
                            offset += 8
                        }
                        while offset < run {
                            row[j + offset] = source[offset]
                            offset += 1
                        }
                    } else if g.strideWidth == 2 {
                        // Eight pixels at a time while the row holds their fifteen floats (`loadPixels`:
                        // shuffles instead of scalar loads).
                        let available = g.inWidth - (x * 2 + kx * g.dilationWidth)
                        var offset = 0
                        while offset + 8 <= run && 2 * offset + 15 <= available {
                            let pixels = loadPixels(source + 2 * offset, stride: 2, lanes: 8, available: available - 2 * offset, rowWidth: g.inWidth)
                            (row + j).storeVector(pixels, at: offset)
                            offset += 8
                        }
                        while offset < run {
                            row[j + offset] = source[offset * 2]
                            offset += 1
                        }
                    } else {
                        for offset in 0..<run { row[j + offset] = source[offset * g.strideWidth] }
                    }
                    j += run
                    x = 0
                    y += 1
                }
                (row + count).update(repeating: 0, count: stride - count)
                k += 1
            }
        }
    }
}

/// The register block: up to 6 output channels × 16 pixels, summed over the whole reduction in eight
/// vector accumulators, then bias and activation on the way out.
@inline(__always)
func multiplyBlock(_ weights: UnsafePointer<Float>, _ columns: UnsafePointer<Float>, stride: Int, reduction: Int,
                   output: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, outputStride: Int, rows: Int, columns count: Int,
                   bias: UnsafePointer<Float>?, activation: some ActivationKernel) {
    var sums = RegisterBlockSums()
    sums.accumulate(weights, columns, stride: stride, reduction: reduction)
    sums.forEach(rows) { row, low, high in
        storeBlockRow(output + row * outputStride, low, high, shift: bias?[row] ?? 0, residual: residual.map { $0 + row * outputStride },
                      count: count, activation: activation)
    }
}

/// The twelve sums of the register block: 6 rows (output channels) × 16 columns (pixels), each row
/// two vectors. Transparent, so that the accumulators stay in registers wherever it is used.
struct RegisterBlockSums {
    var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
    var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
    var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
    var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
    var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
    var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()

    /// Adds `Σ_k weights[k][row] · columns[k·stride + column]`, k ascending; the weights come as panels
    /// `[reduction][6]`.
    @inline(__always)
    mutating func accumulate(_ weights: UnsafePointer<Float>, _ columns: UnsafePointer<Float>, stride: Int, reduction: Int) {
        var a = weights
        var b = columns
        #if CNNC_AVX512
        // Built for a processor with AVX-512 (`CNNC_AVX512`, set by the core's build): a row's sixteen
        // columns are one 512-bit vector, half the instructions, and twice the multiply-adds per cycle
        // on cores with full-width units (Zen 5: 1.2–1.4× faster GEMM and Winograd layers). Each lane
        // still sums k ascending, so the outputs equal the AVX2 build's bit for bit.
        var rows = (SIMD16(lowHalf: c00, highHalf: c01), SIMD16(lowHalf: c10, highHalf: c11), SIMD16(lowHalf: c20, highHalf: c21),
                    SIMD16(lowHalf: c30, highHalf: c31), SIMD16(lowHalf: c40, highHalf: c41), SIMD16(lowHalf: c50, highHalf: c51))
        for _ in 0..<reduction {
            let pixels = UnsafeRawPointer(b).loadUnaligned(as: SIMD16<Float>.self)
            rows.0.accumulate(SIMD16(repeating: a[0]), pixels)
            rows.1.accumulate(SIMD16(repeating: a[1]), pixels)
            rows.2.accumulate(SIMD16(repeating: a[2]), pixels)
            rows.3.accumulate(SIMD16(repeating: a[3]), pixels)
            rows.4.accumulate(SIMD16(repeating: a[4]), pixels)
            rows.5.accumulate(SIMD16(repeating: a[5]), pixels)
            a += gemmRowBlock
            b += stride
        }
        (c00, c01, c10, c11, c20, c21) = (rows.0.lowHalf, rows.0.highHalf, rows.1.lowHalf, rows.1.highHalf, rows.2.lowHalf, rows.2.highHalf)
        (c30, c31, c40, c41, c50, c51) = (rows.3.lowHalf, rows.3.highHalf, rows.4.lowHalf, rows.4.highHalf, rows.5.lowHalf, rows.5.highHalf)
        #else
        // Twelve accumulators keep both FMA pipes busy through their latency (the BLIS layout for AVX2).
        for _ in 0..<reduction {
            let b0 = b.loadVector(at: 0)
            let b1 = b.loadVector(at: 8)
            var broadcast = SIMD8<Float>(repeating: a[0])
            c00.accumulate(broadcast, b0)
            c01.accumulate(broadcast, b1)
            broadcast = SIMD8<Float>(repeating: a[1])
            c10.accumulate(broadcast, b0)
            c11.accumulate(broadcast, b1)
            broadcast = SIMD8<Float>(repeating: a[2])
            c20.accumulate(broadcast, b0)
            c21.accumulate(broadcast, b1)
            broadcast = SIMD8<Float>(repeating: a[3])
            c30.accumulate(broadcast, b0)
            c31.accumulate(broadcast, b1)
            broadcast = SIMD8<Float>(repeating: a[4])
            c40.accumulate(broadcast, b0)
            c41.accumulate(broadcast, b1)
            broadcast = SIMD8<Float>(repeating: a[5])
            c50.accumulate(broadcast, b0)
            c51.accumulate(broadcast, b1)
            a += gemmRowBlock
            b += stride
        }
        #endif
    }

    /// `body(vectors)`, where row `r`'s vectors are `vectors[2r]` and `vectors[2r + 1]`: a copy, so
    /// that indexing the rows at run time leaves the accumulators themselves in registers.
    @_transparent
    func withRows(_ body: (UnsafePointer<SIMD8<Float>>) -> Void) {
        var rows = (c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51)
        withUnsafeBytes(of: &rows) { body($0.baseAddress!.assumingMemoryBound(to: SIMD8<Float>.self)) }
    }

    /// `body(row, first vector, second vector)` for the block's first `rows` rows.
    @_transparent
    func forEach(_ rows: Int, _ body: (Int, SIMD8<Float>, SIMD8<Float>) -> Void) {
        body(0, c00, c01)
        if rows > 1 { body(1, c10, c11) }
        if rows > 2 { body(2, c20, c21) }
        if rows > 3 { body(3, c30, c31) }
        if rows > 4 { body(4, c40, c41) }
        if rows > 5 { body(5, c50, c51) }
    }
}

/// Bias, residual, activation and store of one row of a register block (16 columns, or `count` of them).
@inline(__always)
func storeBlockRow(_ destination: UnsafeMutablePointer<Float>, _ low: SIMD8<Float>, _ high: SIMD8<Float>, shift: Float,
                   residual: UnsafePointer<Float>?, count: Int, activation: some ActivationKernel) {
    var low = low + SIMD8(repeating: shift), high = high + SIMD8(repeating: shift)
    if let residual {
        if count == gemmColumnBlock {
            low += residual.loadVector(at: 0)
            high += residual.loadVector(at: 8)
        } else if count > 8 {
            low += residual.loadVector(at: 0)
            high += (residual + 8).loadPartial(count - 8)
        } else {
            low += residual.loadPartial(count)
        }
    }
    let first = activation.apply(low)
    let second = activation.apply(high)
    if count == gemmColumnBlock {
        destination.storeVector(first, at: 0)
        destination.storeVector(second, at: 8)
    } else if count > 8 {
        destination.storeVector(first, at: 0)
        (destination + 8).storePartial(second, count - 8)
    } else {
        destination.storePartial(first, count)
    }
}
