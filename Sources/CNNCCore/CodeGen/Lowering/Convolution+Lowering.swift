import CNNCKernels

extension Convolution: Lowering {
    var fusion: Fusion { [.foldsBatchnorm, .activationEpilogue, .residual] }

    func lower(_ group: FusedGroup, _ builder: inout PlanBuilder) {
        let layer = group.head
        var source = builder.read(layer.inputs[0])
        let padding = window.padding
        let inHeight = layer.input.height + padding.top + padding.bottom, inWidth = layer.input.width + padding.left + padding.right
        let unsplitGeometry = ConvolutionGeometry(
            inChannels: inChannels, outChannels: outChannels, groups: groups, inHeight: inHeight, inWidth: inWidth,
            outHeight: layer.output.height, outWidth: layer.output.width, kernelHeight: window.kernel.height,
            kernelWidth: window.kernel.width, strideHeight: window.stride.height, strideWidth: window.stride.width,
            dilationHeight: window.dilation.height, dilationWidth: window.dilation.width)
        let batchnorm = group.batchnorm
        let parameters = { (weights: NetworkWeights) in
            WeightFolding.parameters(layer, folding: batchnorm, perOutput: unsplitGeometry.reduction, weights)
        }
        let name = "\(layer.name).weight"
        let strategy: Strategy = unsplitGeometry.inChannelsPerGroup == 1 && unsplitGeometry.outChannelsPerGroup == 1 ? .depthwise
            : Self.prefersDirect(unsplitGeometry) ? (Self.prefersSpanningRows(unsplitGeometry) ? .spanningRows : .direct)
            : builder.order == .fastest && Self.prefersWinograd(unsplitGeometry) ? .winograd
            : Self.prefersChannelLanes(unsplitGeometry) ? .channelLanes : .gemm
        var split = unsplitGeometry
        split.columnPhases = 2
        let geometry = !padding.isZero && Self.splitsColumnsByPhase(split, strategy) ? split : unsplitGeometry
        // A strided depthwise kernel pads plane by plane into a scratch plane, where a padded copy of
        // the whole input, four times its output's size, would take much of its time (mobilenetv2_block's
        // block1.depthwise: 0.92× on one thread, 0.4× on two; at stride 1, its blocks 2 and 3 took
        // 1.06× as long plane by plane). The others read a padded copy.
        var planePadding: ExecutionPlan.PlanePadding?
        if !padding.isZero {
            let margins = Margins(top: padding.top, bottom: padding.bottom, left: padding.left, right: padding.right)
            let mode: BorderMode
            switch paddingMode {
            case .zeros: mode = .constant(0)
            case .constant(let value): mode = .constant(value)
            case .reflect: mode = .reflect
            case .replicate: mode = .replicate
            case .circular: mode = .circular
            }
            if strategy == .depthwise && (geometry.strideHeight > 1 || geometry.strideWidth > 1) {
                let scratch = builder.temporary("padded plane of \(layer.name)", floats: inHeight * inWidth)
                planePadding = ExecutionPlan.PlanePadding(margins: margins, mode: mode, scratch: scratch)
            } else {
                let padded = builder.temporary("padded input of \(layer.name)", floats: inChannels * inHeight * inWidth)
                builder.emit(.pad(source: source, target: padded, channels: inChannels, height: layer.input.height, width: layer.input.width,
                                  margins: margins, mode: mode, columnPhases: geometry.columnPhases))
                source = padded
            }
        }
        let weights: ExecutionPlan.WeightSlice
        var avx512: ExecutionPlan.AVX512Kernel?
        switch strategy {
        case .depthwise:
            weights = builder.slice(name, count: outChannels * geometry.reduction) { parameters($0).weight }
        case .direct, .spanningRows:
            weights = builder.slice(name, count: directPackedCount(geometry)) { packForDirect(parameters($0).weight, geometry: geometry) }
        case .winograd:
            let filters = builder.slice(name, count: outChannels * geometry.reduction) { parameters($0).weight }
            let lanes = Self.channelLanesReplaceWinograd(geometry)
            weights = builder.preparedSlice("\(name) (Winograd)", count: winogradPackedCount(geometry), from: filters,
                                            transform: .winogradFilters(geometry, replacedWithAVX512: lanes))
            if lanes {
                avx512 = .channelLanes(builder.preparedSlice("\(name) (channel lanes, AVX-512)", count: channelLanesPackedCount(geometry),
                                                             from: filters, transform: .channelLanePacking(geometry)))
            }
        case .gemm:
            weights = builder.slice(name, count: gemmPackedCount(geometry)) { packForGEMM(parameters($0).weight, geometry: geometry) }
        case .channelLanes:
            weights = builder.slice(name, count: channelLanesPackedCount(geometry)) {
                packForChannelLanes(parameters($0).weight, geometry: geometry)
            }
        }
        let bias = hasBias || batchnorm != nil
            ? builder.slice("\(layer.name).bias", count: outChannels) { parameters($0).bias! } : nil
        let residual = group.residual.map { builder.read($0.other) }
        switch strategy {
        case .depthwise:
            let target = builder.target(for: group)
            builder.emit(.convolveDepthwise(source: source, target: target, residual: residual, weights: weights, bias: bias,
                                            geometry: geometry, activation: group.epilogue, padding: planePadding))
        case .direct:
            let target = builder.target(for: group)
            builder.emit(.convolveDirect(source: source, target: target, residual: residual, weights: weights, bias: bias,
                                         geometry: geometry, activation: group.epilogue))
        case .spanningRows:
            let scratch = builder.temporary("shifted rows for \(layer.name)", floats: spanningRowsScratchCount(geometry))
            let target = builder.target(for: group)
            builder.emit(.convolveDirectSpanningRows(source: source, target: target, residual: residual, weights: weights, bias: bias,
                                                     geometry: geometry, activation: group.epilogue, scratch: scratch))
        case .winograd:
            let scratch = builder.temporary("Winograd tiles for \(layer.name)", floats: winogradScratchCount(geometry, avx512))
            let target = builder.target(for: group)
            builder.emit(.convolveWinograd(source: source, target: target, residual: residual, weights: weights, bias: bias,
                                           geometry: geometry, activation: group.epilogue, scratch: scratch, avx512: avx512))
        case .gemm:
            let scratch = builder.temporary("columns for \(layer.name)", floats: gemmScratchCount(geometry))
            let target = builder.target(for: group)
            builder.emit(.convolveGEMM(source: source, target: target, residual: residual, weights: weights, bias: bias,
                                       geometry: geometry, activation: group.epilogue, scratch: scratch))
        case .channelLanes:
            let scratch = builder.temporary("offsets and sums for \(layer.name)", floats: channelLanesScratchCount(geometry))
            let target = builder.target(for: group)
            builder.emit(.convolveChannelLanes(source: source, target: target, residual: residual, weights: weights, bias: bias,
                                               geometry: geometry, activation: group.epilogue, scratch: scratch))
        }
    }

    /// Whether a padded stride-2 convolution reads its padded copy split by column phase
    /// (`padPlanesByColumnPhase`), which the copy makes with the shuffles each tap would otherwise
    /// repeat. The direct kernel then loads plain vectors and has the registers for two or three of
    /// them: mobile_block's conv1 and resnet_cifar's layer2.0.conv1 took 0.86–0.87× the time (ABBA
    /// rounds of `--profile`, 2026-12-03). The GEMM's gather gains less: imagenet_stem's 7×7 stem
    /// (rows of 230 floats) 0.96×, but its 3×3 conv5 (rows of 58) 1.00× and conv9 (rows of 16, which
    /// the copy splits one float at a time) 1.06×, so GEMM takes it on rows of 64 floats or more.
    static func splitsColumnsByPhase(_ g: ConvolutionGeometry, _ strategy: Strategy) -> Bool {
        switch strategy {
        case .direct: g.strideWidth == 2
        case .gemm: g.strideWidth == 2 && g.inWidth >= 64
        case .depthwise, .spanningRows, .winograd, .channelLanes: false
        }
    }

    /// The kernel a convolution runs as.
    enum Strategy { case depthwise, direct, spanningRows, winograd, channelLanes, gemm }

    /// Where GEMM would take a stride-2 layer of one group, output channels a multiple of 16 and at
    /// least 256 terms, output channels in the lanes (`convolveChannelLanes`), which gathers nothing:
    /// in a harness interleaving both kernels (2026-12-03), imagenet_stem's conv5, conv7 and conv9
    /// took 0.93×, 0.83× and 0.76× the GEMM's time, resnet_cifar's layer3.0.conv1 0.72×. Not the 7×7
    /// stem (147 terms, 1.0×), where storing the sums of so short a reduction costs a sixth of the
    /// time; not stride 1, where the gather is cheap and Winograd takes most layers.
    static func prefersChannelLanes(_ g: ConvolutionGeometry) -> Bool {
        g.groups == 1 && g.strideHeight == 2 && g.strideWidth == 2 && g.outChannels % laneChannelBlock == 0
            && g.reduction >= 256 && g.outPlane >= lanePixelBlock
    }

    /// Where an AVX-512 compilation computes a layer Winograd would take with output channels in the
    /// lanes (`convolveChannelLanes`, two blocks of sixteen at once there): one group, rows too short
    /// for the wide direct kernel, output channels a multiple of 16, at least 2,304 terms. Measured
    /// with `--profile` (Zen 5, 2026-12-04, two rounds), imagenet_stem's conv8 (256 channels, 14×14)
    /// took 0.88× Winograd's time and conv10 (512, 7×7) 0.73×; Winograd's transforms cost most on
    /// such small planes of many channels. The eight-lane compilation keeps Winograd: channel lanes
    /// took 1.2–1.3× its time there.
    static func channelLanesReplaceWinograd(_ g: ConvolutionGeometry) -> Bool {
        g.groups == 1 && g.outWidth < 16 && g.outChannels % laneChannelBlock == 0 && g.reduction >= 2304 && g.outPlane >= lanePixelBlock
    }

    /// Direct convolution wins when each output sums few terms or few channels share each gathered
    /// column, except for 1×1 stride-1 layers of more than 32 output channels, whose GEMM reads its
    /// input as it is (mobilenetv2_block's expansions of 16 and 24 channels 0.85–0.87× the time, its
    /// head 0.89×; mobile_block's 16 → 32 pointwise layer measured the same either way); and, up to 150 terms, where GEMM would gather columns at stride 1 (lenet5's c3 0.65×,
    /// resnet_cifar's 16-channel 3×3 layers 0.78–0.87× the GEMM's time; a 1×1 convolution's GEMM reads
    /// its input as it is, 1.4×), at stride 2 for at most 64 output channels per group (mobile_block's
    /// grouped layer 0.86×, resnet_cifar's layer2.0.conv1 0.9×; imagenet_stem's 64-channel 7×7 stem,
    /// reading the copy split by column phase, 0.63–0.65× in the AVX-512 compilation and 0.89–0.90×
    /// in the x86-64-v3 one, 6 ABBA rounds, 2026-12-04), or where the output has fewer pixels than a GEMM
    /// register block's sixteen columns (squeeze-and-excitation's 1×1 maps, 0.55×). Measured
    /// interleaved; docs/codegen.md.
    static func prefersDirect(_ g: ConvolutionGeometry) -> Bool {
        if g.isPointwise && g.groups == 1 && g.outChannels > 32 && g.outPlane >= gemmColumnBlock { return false }
        if g.reduction <= 32 || g.outChannelsPerGroup < 4 { return true }
        guard g.reduction <= 150 else { return false }
        let stridedFewChannels = g.strideWidth == 2 && g.outChannelsPerGroup <= 64
        return ((g.strideWidth == 1 || stridedFewChannels) && !g.isPointwise) || g.outPlane < gemmColumnBlock
    }

    /// Among direct convolutions at stride 1, vectors of consecutive output pixels that may span rows
    /// (`convolveDirectSpanningRows`), measured in ABBA rounds of `--profile` against the row kernel:
    /// - where rows of 8 to 15 pixels would keep a block of up to six channels to one vector of eight,
    ///   six sums at most: seed's conv2 (rows of 14, three channels) 0.75× the time;
    /// - where row vectors would leave at least an eighth of their lanes idle and each float of the
    ///   kernel's shifted copy of the input feeds at least 16 multiply-adds (`kh` × output channels):
    ///   lenet5's c3 (rows of 10 in 16 lanes, 80 per float) 0.83–0.85× with vectors that spanned rows
    ///   by blending two loads, then 0.70–0.77× that with the copy; c1 (28 in 32, 30 per float) 0.94×,
    ///   where seed's conv1 (28 in 32, 9 per float) took 1.07×.
    static func prefersSpanningRows(_ g: ConvolutionGeometry) -> Bool {
        guard canSpanRows(g) else { return false }
        let block = directChannelBlock(g)
        if block <= 6 && g.outWidth < 16 { return true }
        let step = block <= 6 ? 16 : 8
        let computed = (g.outWidth + step - 1) / step * step
        return 8 * (computed - g.outWidth) >= computed && g.kernelHeight * g.outChannelsPerGroup >= 16
    }

    /// Winograd F(2×2, 3×3) for every 3×3 stride-1 convolution that is not direct, on outputs of at
    /// least 16 tiles (one GEMM register block of columns; a 7×7 output has 16). Measured interleaved
    /// against the GEMM, its first version took 0.53–0.80× the time on cifar_vgg's, imagenet_stem's and
    /// resnet_cifar's layers, and later changes another 5–20 % off. Below 151 terms the direct kernel
    /// stays: Winograd measured 1.09–1.2× its time on resnet_cifar's and unet_small's 16-channel
    /// layers (docs/codegen.md).
    static func prefersWinograd(_ g: ConvolutionGeometry) -> Bool {
        winogradApplies(g) && winogradTileCount(g) >= gemmColumnBlock
    }
}
