import CNNCKernels
import CNNCRuntime

/// Builds an `ExecutionPlan`: forms the fused groups, works out how long each value is needed, lets
/// each group's operation lower itself, then places the buffers.
struct PlanBuilder {
    let network: CheckedNetwork
    let order: ExecutionPlan.SummationOrder
    var plan = ExecutionPlan()

    /// Where each value's data lives once produced.
    private var storage: [ValueID: ExecutionPlan.Operand] = [.input: .input]
    /// The value whose data each value is (a view's input's, recursively; itself otherwise).
    private var dataRoot: [ValueID: ValueID] = [.input: .input]
    /// The last step that reads each data root.
    private var lastReader: [ValueID: Int] = [:]
    /// The step being built and its kernels.
    private(set) var step = 0
    private var kernels: [ExecutionPlan.Kernel] = []
    private var readers: [ValueID: [Int]] = [:]

    init(network: CheckedNetwork, order: ExecutionPlan.SummationOrder) {
        self.network = network
        self.order = order
    }

    mutating func run() {
        let groups = formGroups()
        // Which step computes each layer, then how long each value's data is read.
        var stepOf: [Int: Int] = [:]
        for (index, group) in groups.enumerated() {
            for layer in group.layers { stepOf[layer] = index }
        }
        for layer in network.layers where network.reachesOutput[layer.index] {
            let value = ValueID.layer(layer.index)
            if layer.operation.lowering.isView {
                dataRoot[value] = dataRoot[layer.inputs[0]]!
                continue
            }
            dataRoot[value] = value
            for input in layer.inputs {
                let root = dataRoot[input]!
                lastReader[root] = max(lastReader[root] ?? 0, stepOf[layer.index]!)
            }
        }
        let outputRoot = dataRoot[.layer(network.outputLayer)]!
        for (index, group) in groups.enumerated() {
            step = index
            kernels = []
            group.head.operation.lowering.lower(group, &self)
            plan.steps.append(ExecutionPlan.Step(kernels: kernels, layers: group.layers))
            for layer in group.layers.dropFirst() { storage[.layer(layer)] = storage[.layer(group.tail.index)] }
        }
        if outputRoot == .input {
            // No layer moves data (dropout, flatten): the output is the input.
            plan.steps.append(ExecutionPlan.Step(kernels: [.copy(source: .input, target: .output, count: network.input.count)], layers: []))
        }
        plan.arenaCount = MemoryPlanner.place(&plan.buffers)
        plan.lowerBoundCount = MemoryPlanner.lowerBound(plan.buffers, steps: plan.steps.count)
    }

    // MARK: Fusion

    /// The layers that run, in order, each either a group's head or absorbed into an earlier head's group.
    private func formGroups() -> [FusedGroup] {
        var liveReaders = [[Int]](repeating: [], count: network.layers.count)
        for layer in network.layers where network.reachesOutput[layer.index] {
            for case .layer(let producer) in layer.inputs { liveReaders[producer].append(layer.index) }
        }
        var absorbed: Set<Int> = []
        var groups: [FusedGroup] = []
        for head in network.layers where network.reachesOutput[head.index] && !absorbed.contains(head.index) {
            let lowering = head.operation.lowering
            guard !lowering.isView else { continue }
            var group = FusedGroup(head: head, layers: [head.index], tail: head)
            while group.tail.index != network.outputLayer, liveReaders[group.tail.index].count == 1 {
                let follower = network.layers[liveReaders[group.tail.index][0]]
                var joins = false
                switch follower.operation {
                case .batchNorm where lowering.fusion.contains(.foldsBatchnorm) && group.layers.count == 1:
                    group.batchnorm = follower
                    joins = true
                case .activation(let activation) where lowering.fusion.contains(.activationEpilogue) && group.activation == nil:
                    if let function = activation.function {
                        group.activation = (follower, function)
                        joins = true
                    }
                case .add where lowering.fusion.contains(.residual) && group.residual == nil && group.activation == nil
                    && follower.inputs.count == 2:
                    let other = follower.inputs[0] == .layer(group.tail.index) ? follower.inputs[1] : follower.inputs[0]
                    // The other operand must exist when this step runs: written before the head.
                    if case .layer(let producer) = other, producer >= head.index { break }
                    group.residual = (follower, other)
                    joins = true
                default:
                    break
                }
                guard joins else { break }
                group.layers.append(follower.index)
                group.tail = follower
                absorbed.insert(follower.index)
            }
            groups.append(group)
        }
        return groups
    }

    // MARK: What lowerings use

    /// Where a value's data is, for a kernel to read.
    func read(_ value: ValueID) -> ExecutionPlan.Operand {
        storage[dataRoot[value] ?? value]!
    }

    /// Where the group writes its result: the caller's output for the network's result, else a new
    /// buffer alive until the result's last reader, or — for element-wise kernels that offer one of
    /// their inputs with `reusing` — that input's buffer when this step is its last reader.
    mutating func target(for group: FusedGroup, reusing input: ValueID? = nil) -> ExecutionPlan.Operand {
        let value = ValueID.layer(group.tail.index)
        let operand: ExecutionPlan.Operand
        if dataRoot[.layer(network.outputLayer)] == value {
            operand = .output
        } else if let input, let root = dataRoot[input], root != .input, lastReader[root] == step,
                  case .buffer(let index) = storage[root]!.base, storage[root]!.offset == 0,
                  plan.buffers[index].floats == group.tail.output.count,
                  group.tail.inputs.filter({ dataRoot[$0] == root }).count == 1 {
            plan.buffers[index].lastStep = max(plan.buffers[index].lastStep, lastReader[value] ?? step)
            plan.buffers[index].purpose += ", then \(group.tail.name)"
            operand = storage[root]!
        } else {
            operand = buffer(group.tail.name, floats: group.tail.output.count, until: lastReader[value] ?? step)
        }
        storage[value] = operand
        return operand
    }

    /// A buffer used only within this step: a padded copy, scratch.
    mutating func temporary(_ purpose: String, floats: Int) -> ExecutionPlan.Operand {
        buffer(purpose, floats: floats, until: step)
    }

    private mutating func buffer(_ purpose: String, floats: Int, until lastStep: Int) -> ExecutionPlan.Operand {
        plan.buffers.append(ExecutionPlan.Buffer(purpose: purpose, floats: max(1, floats), firstStep: step, lastStep: max(step, lastStep)))
        return ExecutionPlan.Operand(base: .buffer(plan.buffers.count - 1))
    }

    /// Reserves `count` floats of the blob at the next 64-byte boundary, filled by `fill`.
    mutating func slice(_ name: String, count: Int, fill: @escaping (NetworkWeights) -> [Float]) -> ExecutionPlan.WeightSlice {
        let offset = MemoryPlanner.rounded(plan.blobCount)
        let slice = ExecutionPlan.WeightSlice(name: name, offset: offset, count: count, contents: .embedded(fill))
        plan.slices.append(slice)
        plan.blobCount = offset + count
        return slice
    }

    /// Reserves `count` floats of the prepared weights at the next 64-byte boundary, which the
    /// network computes from `source` by `transform` on its first call.
    mutating func preparedSlice(_ name: String, count: Int, from source: ExecutionPlan.WeightSlice,
                                transform: ExecutionPlan.WeightSlice.Transform) -> ExecutionPlan.WeightSlice {
        let offset = MemoryPlanner.rounded(plan.preparedCount)
        let slice = ExecutionPlan.WeightSlice(name: name, offset: offset, count: count, contents: .prepared(from: source, transform))
        plan.slices.append(slice)
        plan.preparedCount = offset + count
        return slice
    }

    mutating func emit(_ kernel: ExecutionPlan.Kernel) {
        kernels.append(kernel)
    }
}

/// Weight arithmetic shared by the lowerings.
enum WeightFolding {
    /// `scale = weight / √(var + eps)`, `shift = bias − mean · scale` of a batchnorm layer.
    static func batchnormFactors(_ layer: CheckedLayer, _ weights: NetworkWeights) -> (scale: [Float], shift: [Float]) {
        guard case .batchNorm(let batchnorm) = layer.operation else { preconditionFailure("not a batchnorm") }
        let gamma = weights[name: layer.tensorName(.weight)]!
        let beta = weights[name: layer.tensorName(.bias)]!
        let mean = weights[name: layer.tensorName(.runningMean)]!
        let variance = weights[name: layer.tensorName(.runningVar)]!
        let scale = gamma.indices.map { gamma[$0] * (1 / (variance[$0] + batchnorm.eps).squareRoot()) }
        let shift = beta.indices.map { beta[$0] - mean[$0] * scale[$0] }
        return (scale, shift)
    }

    /// A layer's weight and bias, with a following batchnorm folded in: each output's `perOutput`
    /// weights scaled, the bias `bias·scale + shift`.
    static func parameters(_ layer: CheckedLayer, folding batchnorm: CheckedLayer?, perOutput: Int,
                           _ weights: NetworkWeights) -> (weight: [Float], bias: [Float]?) {
        var weight = weights[name: layer.tensorName(.weight)]!
        var bias = weights[name: layer.tensorName(.bias)]
        if let batchnorm {
            let (scale, shift) = batchnormFactors(batchnorm, weights)
            for output in scale.indices {
                for index in output * perOutput..<(output + 1) * perOutput { weight[index] *= scale[output] }
            }
            bias = scale.indices.map { (bias?[$0] ?? 0) * scale[$0] + shift[$0] }
        }
        return (weight, bias)
    }
}
