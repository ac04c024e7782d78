import CNNCKernels
import CNNCRuntime

/// How a checked network runs in generated code: the kernel calls in order, which buffer each reads and
/// writes, what was fused into what, and the weights laid out as the kernels want them.
///
/// Decisions made here, once, at generation time:
/// - batchnorm right after a conv or dense layer is folded into its weights and bias;
/// - an element-wise activation after a producing layer (conv, dense, batchnorm) runs in its epilogue;
/// - `dropout` and `flatten` vanish (they do not move data);
/// - a convolution with padding reads a padded copy, so no kernel tests for the border;
/// - convolutions whose outputs sum few terms run directly, the others as GEMM over gathered columns;
/// - activations ping-pong between two buffers, and the last step writes the caller's output.
struct ExecutionPlan {
    /// Where a step reads or writes.
    enum Operand: Hashable {
        case input
        case output
        case buffer(Int)
        case padded
    }

    /// A tensor in the weights blob: its offset in floats and a name for the generated constant.
    struct WeightSlice: Hashable {
        var name: String
        var offset: Int
        var count: Int
    }

    enum Kernel {
        case pad(channels: Int, height: Int, width: Int, margins: Margins, mode: BorderMode)
        case convolveDirect(weights: WeightSlice, bias: WeightSlice?, geometry: ConvolutionGeometry, activation: ActivationFunction)
        case convolveDepthwise(weights: WeightSlice, bias: WeightSlice?, geometry: ConvolutionGeometry, activation: ActivationFunction)
        case convolveGEMM(weights: WeightSlice, bias: WeightSlice?, geometry: ConvolutionGeometry, activation: ActivationFunction)
        case maxPool(PoolingGeometry)
        case averagePool(PoolingGeometry, countIncludePad: Bool)
        case globalAveragePool(channels: Int, plane: Int)
        case globalMaxPool(channels: Int, plane: Int)
        case scaleAndShift(scale: WeightSlice, shift: WeightSlice, channels: Int, plane: Int, activation: ActivationFunction)
        case softmax(channels: Int, plane: Int)
        case activate(count: Int, activation: ActivationFunction)
        case dense(weights: WeightSlice, bias: WeightSlice?, inFeatures: Int, outFeatures: Int, activation: ActivationFunction)
        case copy(count: Int)
    }

    struct Step {
        var kernel: Kernel
        var source: Operand
        var target: Operand
        /// The layers this step computes (several when fused), for the comment above it.
        var layers: [Int]
    }

    var steps: [Step] = []
    /// Every weight, laid out for the kernels, each slice starting on a 64-byte boundary.
    var blob: [Float] = []
    var slices: [WeightSlice] = []
    /// Floats of each activation buffer, of the padded copy and of the GEMM scratch.
    var bufferCount = 0
    var paddedCount = 0
    var scratchCount = 0

    var arenaCount: Int { 2 * bufferCount + paddedCount + scratchCount }

    private init() {}

    init(network: CheckedNetwork, weights: NetworkWeights) {
        var builder = Builder(network: network, weights: weights)
        builder.run()
        self = builder.plan
    }

    /// Walks the layers, fusing and choosing kernels.
    private struct Builder {
        let network: CheckedNetwork
        let weights: NetworkWeights
        var plan = ExecutionPlan()
        var current: Operand = .input
        var sliceNames: [String] = []

        init(network: CheckedNetwork, weights: NetworkWeights) {
            self.network = network
            self.weights = weights
        }

        mutating func run() {
            let layers = network.layers
            var index = 0
            while index < layers.count {
                let layer = layers[index]
                var consumed = [index]
                // The layers that can fold into this one: a batchnorm, then an element-wise activation.
                func absorbBatchnorm() -> CheckedLayer? {
                    guard index + 1 < layers.count, case .batchNorm = layers[index + 1].operation else { return nil }
                    index += 1
                    consumed.append(index)
                    return layers[index]
                }
                func absorbActivation() -> ActivationFunction {
                    guard index + 1 < layers.count, case .activation(let activation) = layers[index + 1].operation,
                          let function = activation.function else { return .identity }
                    index += 1
                    consumed.append(index)
                    return function
                }
                switch layer.operation {
                case .conv(let conv):
                    let batchnorm = absorbBatchnorm()
                    let activation = absorbActivation()
                    addConvolution(conv, layer, batchnorm: batchnorm, activation: activation, layers: consumed)
                case .dense(let dense):
                    let batchnorm = absorbBatchnorm()
                    let activation = absorbActivation()
                    var (weight, bias) = parameters(layer)
                    if let batchnorm { fold(batchnorm, into: &weight, bias: &bias, perOutput: dense.inFeatures) }
                    let packed = CNNCKernels.packForDense(weight, inFeatures: dense.inFeatures, outFeatures: dense.outFeatures)
                    add(.dense(weights: slice("\(layer.name).weight", packed), bias: bias.map { slice("\(layer.name).bias", $0) },
                               inFeatures: dense.inFeatures, outFeatures: dense.outFeatures, activation: activation),
                        layers: consumed, inPlace: false, outputCount: layer.output.count)
                case .batchNorm:
                    let activation = absorbActivation()
                    let (scale, shift) = batchnormFactors(layer)
                    add(.scaleAndShift(scale: slice("\(layer.name).scale", scale), shift: slice("\(layer.name).shift", shift),
                                       channels: layer.output.channels, plane: layer.output.height * layer.output.width,
                                       activation: activation),
                        layers: consumed, inPlace: true, outputCount: layer.output.count)
                case .activation(.softmax):
                    add(.softmax(channels: layer.output.channels, plane: layer.output.height * layer.output.width),
                        layers: consumed, inPlace: true, outputCount: layer.output.count)
                case .activation(let activation):
                    add(.activate(count: layer.output.count, activation: activation.function!), layers: consumed, inPlace: true,
                        outputCount: layer.output.count)
                case .maxPool(let window):
                    add(.maxPool(poolingGeometry(window, layer)), layers: consumed, inPlace: false, outputCount: layer.output.count)
                case .avgPool(let window, let countIncludePad):
                    add(.averagePool(poolingGeometry(window, layer), countIncludePad: countIncludePad), layers: consumed,
                        inPlace: false, outputCount: layer.output.count)
                case .globalAvgPool:
                    add(.globalAveragePool(channels: layer.input.channels, plane: layer.input.height * layer.input.width),
                        layers: consumed, inPlace: false, outputCount: layer.output.count)
                case .globalMaxPool:
                    add(.globalMaxPool(channels: layer.input.channels, plane: layer.input.height * layer.input.width),
                        layers: consumed, inPlace: false, outputCount: layer.output.count)
                case .dropout, .flatten:
                    break
                }
                index += 1
            }
            finish()
        }

        /// The last step writes the caller's output; a network of no-ops copies its input there.
        mutating func finish() {
            if plan.steps.isEmpty {
                plan.steps.append(Step(kernel: .copy(count: network.input.count), source: .input, target: .output, layers: []))
            } else {
                plan.steps[plan.steps.count - 1].target = Operand.output
            }
        }

        mutating func addConvolution(_ conv: Convolution, _ layer: CheckedLayer, batchnorm: CheckedLayer?, activation: ActivationFunction,
                                     layers: [Int]) {
            let window = conv.window
            let padding = window.padding
            var inHeight = layer.input.height
            var inWidth = layer.input.width
            var source = current
            if !padding.isZero {
                let margins = Margins(top: padding.top, bottom: padding.bottom, left: padding.left, right: padding.right)
                let mode: BorderMode
                switch conv.paddingMode {
                case .zeros: mode = .constant(0)
                case .constant(let value): mode = .constant(value)
                case .reflect: mode = .reflect
                case .replicate: mode = .replicate
                case .circular: mode = .circular
                }
                plan.steps.append(Step(kernel: .pad(channels: layer.input.channels, height: inHeight, width: inWidth, margins: margins, mode: mode),
                                       source: current, target: .padded, layers: [layers[0]]))
                inHeight += padding.top + padding.bottom
                inWidth += padding.left + padding.right
                plan.paddedCount = max(plan.paddedCount, layer.input.channels * inHeight * inWidth)
                source = .padded
            }
            let geometry = ConvolutionGeometry(
                inChannels: conv.inChannels, outChannels: conv.outChannels, groups: conv.groups, inHeight: inHeight, inWidth: inWidth,
                outHeight: layer.output.height, outWidth: layer.output.width, kernelHeight: window.kernel.height,
                kernelWidth: window.kernel.width, strideHeight: window.stride.height, strideWidth: window.stride.width,
                dilationHeight: window.dilation.height, dilationWidth: window.dilation.width)
            var (weight, bias) = parameters(layer)
            if let batchnorm { fold(batchnorm, into: &weight, bias: &bias, perOutput: geometry.reduction) }
            let kernel: Kernel
            if geometry.inChannelsPerGroup == 1 && geometry.outChannelsPerGroup == 1 {
                kernel = .convolveDepthwise(weights: slice("\(layer.name).weight", weight), bias: bias.map { slice("\(layer.name).bias", $0) },
                                            geometry: geometry, activation: activation)
            } else if Self.prefersDirect(geometry) {
                let packed = CNNCKernels.packForDirect(weight, geometry: geometry)
                kernel = .convolveDirect(weights: slice("\(layer.name).weight", packed), bias: bias.map { slice("\(layer.name).bias", $0) },
                                         geometry: geometry, activation: activation)
            } else {
                let packed = CNNCKernels.packForGEMM(weight, geometry: geometry)
                kernel = .convolveGEMM(weights: slice("\(layer.name).weight", packed), bias: bias.map { slice("\(layer.name).bias", $0) },
                                       geometry: geometry, activation: activation)
                plan.scratchCount = max(plan.scratchCount, CNNCKernels.gemmScratchCount(geometry))
            }
            let target = nextBuffer(avoiding: current)
            plan.steps.append(Step(kernel: kernel, source: source, target: target, layers: layers))
            plan.bufferCount = max(plan.bufferCount, layer.output.count)
            current = target
        }

        /// Direct convolution wins when each output sums few terms or few channels share each gathered
        /// column (measured on this project's models; see docs/codegen.md).
        static func prefersDirect(_ g: ConvolutionGeometry) -> Bool {
            g.reduction <= 32 || g.outChannelsPerGroup < 4
        }

        mutating func add(_ kernel: Kernel, layers: [Int], inPlace: Bool, outputCount: Int) {
            let target: Operand = inPlace && current != .input ? current : nextBuffer(avoiding: current)
            plan.steps.append(Step(kernel: kernel, source: current, target: target, layers: layers))
            plan.bufferCount = max(plan.bufferCount, outputCount)
            current = target
        }

        func nextBuffer(avoiding operand: Operand) -> Operand {
            operand == .buffer(0) ? .buffer(1) : .buffer(0)
        }

        func parameters(_ layer: CheckedLayer) -> (weight: [Float], bias: [Float]?) {
            (weights[name: "\(layer.name).weight"]!, weights[name: "\(layer.name).bias"])
        }

        /// `scale = weight / √(var + eps)`, `shift = bias − mean · scale`.
        func batchnormFactors(_ layer: CheckedLayer) -> (scale: [Float], shift: [Float]) {
            guard case .batchNorm(let eps) = layer.operation else { preconditionFailure("not a batchnorm") }
            let gamma = weights[name: "\(layer.name).weight"]!
            let beta = weights[name: "\(layer.name).bias"]!
            let mean = weights[name: "\(layer.name).running_mean"]!
            let variance = weights[name: "\(layer.name).running_var"]!
            let scale = gamma.indices.map { gamma[$0] * (1 / (variance[$0] + eps).squareRoot()) }
            let shift = beta.indices.map { beta[$0] - mean[$0] * scale[$0] }
            return (scale, shift)
        }

        /// Folds a batchnorm into the weights and bias of the layer before it.
        func fold(_ batchnorm: CheckedLayer, into weight: inout [Float], bias: inout [Float]?, perOutput: Int) {
            let (scale, shift) = batchnormFactors(batchnorm)
            for output in scale.indices {
                for index in output * perOutput..<(output + 1) * perOutput { weight[index] *= scale[output] }
            }
            bias = scale.indices.map { (bias?[$0] ?? 0) * scale[$0] + shift[$0] }
        }

        func poolingGeometry(_ window: Window, _ layer: CheckedLayer) -> PoolingGeometry {
            PoolingGeometry(channels: layer.input.channels, inHeight: layer.input.height, inWidth: layer.input.width,
                            outHeight: layer.output.height, outWidth: layer.output.width, kernelHeight: window.kernel.height,
                            kernelWidth: window.kernel.width, strideHeight: window.stride.height, strideWidth: window.stride.width,
                            margins: Margins(top: window.padding.top, bottom: window.padding.bottom, left: window.padding.left,
                                             right: window.padding.right))
        }

        /// Appends `values` to the blob at the next 64-byte boundary.
        mutating func slice(_ name: String, _ values: [Float]) -> WeightSlice {
            let offset = (plan.blob.count + 15) / 16 * 16
            plan.blob += [Float](repeating: 0, count: offset - plan.blob.count)
            plan.blob += values
            let slice = WeightSlice(name: name, offset: offset, count: values.count)
            plan.slices.append(slice)
            return slice
        }
    }
}

extension Activation {
    /// The kernel form of an element-wise activation; nil for softmax, which spans channels.
    var function: ActivationFunction? {
        switch self {
        case .relu: .relu
        case .relu6: .relu6
        case .leakyReLU(let alpha): .leakyReLU(alpha: alpha)
        case .elu(let alpha): .elu(alpha: alpha)
        case .sigmoid: .sigmoid
        case .tanh: .tanh
        case .gelu: .gelu
        case .silu: .silu
        case .softmax: nil
        }
    }
}
