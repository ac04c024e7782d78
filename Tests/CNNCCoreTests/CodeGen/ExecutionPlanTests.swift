@testable import CNNCCore
import CNNCKernels
import Foundation
import Testing

/// The plan's fusion decisions and its memory placement, on networks whose right answer is known.
@Suite struct ExecutionPlanTests {
    func plan(input: String = "{channels: 4, height: 8, width: 8}", _ layers: String...) throws -> (CheckedNetwork, ExecutionPlan) {
        let list = layers.map { "  - \($0)" }.joined(separator: "\n")
        let pipeline = compile("name: t\ninput: \(input)\nlayers:\n\(list)\n")
        let network = try #require(pipeline.network, "\(pipeline.renderDiagnostics())")
        return (network, ExecutionPlan(network: network))
    }

    /// The operands of a convolution kernel, whichever strategy it uses.
    func convolution(_ kernel: ExecutionPlan.Kernel?) -> (target: ExecutionPlan.Operand, residual: ExecutionPlan.Operand?, activation: ActivationFunction)? {
        switch kernel {
        case .convolveDirect(_, let target, let residual, _, _, _, let activation)?,
             .convolveDirectSpanningRows(_, let target, let residual, _, _, _, let activation, _)?,
             .convolveDepthwise(_, let target, let residual, _, _, _, let activation, _)?,
             .convolveGEMM(_, let target, let residual, _, _, _, let activation, _)?,
             .convolveWinograd(_, let target, let residual, _, _, _, let activation, _, _)?:
            (target, residual, activation)
        default:
            nil
        }
    }

    func names(_ network: CheckedNetwork, _ plan: ExecutionPlan) -> [[String]] {
        plan.steps.map { $0.layers.map { network.layers[$0].name } }
    }

    /// A Winograd layer's blob holds its 3×3 filters, not their 16/9-larger transform: the kernel
    /// reads the transform from the prepared weights, computed from those filters. With 20 output
    /// channels on 16×16, every compilation runs it (the wide direct kernel no longer replaces
    /// Winograd with AVX-512: docs/codegen.md).
    @Test func winogradWeightsArePreparedFromTheEmbeddedFilters() throws {
        let (_, plan) = try plan(input: "{channels: 32, height: 16, width: 16}", "conv: {channels: 20, kernel: 3, padding: 1}")
        guard case .convolveWinograd(_, _, _, let weights, let bias, let geometry, _, _, nil)? = plan.steps.last?.kernels.last else {
            Issue.record("not Winograd alone: \(plan.steps.map { $0.kernels.map(\.strategy) })")
            return
        }
        guard case .prepared(let filters, .winogradFilters(let transformed, replacedWithAVX512: false)) = weights.contents else {
            Issue.record("the Winograd weights are embedded, or replaced with AVX-512: \(weights.contents)")
            return
        }
        #expect(transformed == geometry)
        #expect(!filters.isPrepared && filters.count == 20 * 32 * 9)
        #expect(weights.count == 16 * 24 * 32 && weights.offset == 0 && plan.preparedCount == weights.count)
        // The filters, then the bias at the next 64-byte boundary: nothing else is embedded.
        #expect(plan.blobCount == 5760 + 20 && bias?.offset == 5760)
        #expect(!plan.asksForFullWidth)
    }

    /// 256 channels of 2,304 terms on 14×14 (imagenet_stem's conv8): channel lanes with full-width
    /// AVX-512, on weights prepared from the same filters, and room for the larger of the two kernels'
    /// scratch; the library asks the processor (`asksForFullWidth`).
    @Test func deepLayersOnSmallPlanesTakeChannelLanesWithAVX512() throws {
        let (_, plan) = try plan(input: "{channels: 256, height: 14, width: 14}", "conv: {channels: 256, kernel: 3, padding: 1}")
        guard case .convolveWinograd(_, _, _, let weights, _, let geometry, _, let scratch, .channelLanes(let lanes)?)? = plan.steps.last?.kernels.last,
              case .prepared(let filters, .winogradFilters(_, replacedWithAVX512: true)) = weights.contents,
              case .prepared(let source, .channelLanePacking(let packed)) = lanes.contents else {
            Issue.record("not Winograd with channel lanes: \(plan.steps.map { $0.kernels.map(\.strategy) })")
            return
        }
        #expect(packed == geometry && source.offset == filters.offset && lanes.count == 256 * 2304)
        #expect(plan.preparedCount == lanes.offset + lanes.count && lanes.offset >= weights.count)
        #expect(plan.steps.last?.kernels.last?.strategy == "Winograd F(2,3) 3×3 (full-width AVX-512: channel-lane direct conv 3×3)")
        // What `--profile` prints in each compilation (the generated `step_strategy`).
        #expect(KernelCompilation.allCases.map { plan.steps.last?.strategy(in: $0) }
                == ["pad + Winograd F(2,3) 3×3", "pad + Winograd F(2,3) 3×3", "pad + channel-lane direct conv 3×3"])
        #expect(plan.asksForFullWidth)
        guard case .buffer(let index) = scratch.base else { Issue.record("scratch \(scratch)"); return }
        #expect(plan.buffers[index].floats == max(winogradScratchCount(geometry), channelLanesScratchCount(geometry)))
    }

    @Test func aResidualAddRunsInTheEpilogueOfItsConvolution() throws {
        let (network, plan) = try plan(
            "conv: {name: stem, channels: 4, kernel: 3, padding: 1, activation: relu}",
            "conv: {name: body, channels: 4, kernel: 3, padding: 1, bias: false}",
            "batchnorm: {name: bn}",
            "add: {name: sum, from: [bn, stem], activation: relu}")
        #expect(names(network, plan) == [["stem", "relu1"], ["body", "bn", "sum", "relu2"]])
        let body = try #require(convolution(plan.steps[1].kernels.last))
        let stem = try #require(convolution(plan.steps[0].kernels.last))
        #expect(body.target == .output)
        #expect(body.activation == .relu)
        // The residual is the stem's result, read from where the first step wrote it.
        #expect(body.residual == stem.target)
        #expect(stem.residual == nil)
    }

    @Test func noFusionWhenTheConvolutionsResultHasAnotherReader() throws {
        let (network, plan) = try plan(
            "conv: {name: stem, channels: 4, kernel: 3, padding: 1}",
            "conv: {name: body, channels: 4, kernel: 3, padding: 1}",
            "add: {name: sum, from: [body, stem]}",
            "add: {name: again, from: [sum, body]}")
        // `body` is read by both adds, `stem` by `body` and `sum`: nothing can absorb an add.
        #expect(names(network, plan) == [["stem"], ["body"], ["sum"], ["again"]])
    }

    @Test func theAddJoinsTheConvolutionWrittenLast() throws {
        // The projection is written after `main`, so only its step can see both operands.
        let (network, plan) = try plan(
            "conv: {name: main, channels: 8, kernel: 3, stride: 2, padding: 1}",
            "conv: {name: projection, channels: 8, kernel: 1, stride: 2, from: input}",
            "add: {name: sum, from: [main, projection], activation: relu}")
        #expect(names(network, plan) == [["main"], ["projection", "sum", "relu1"]])
    }

    @Test func theOtherOperandMustExistWhenTheStepRuns() throws {
        // `late` is written after `first`'s head, so `first` cannot absorb the add; `late` is not a
        // convolution, so the add runs on its own.
        let (network, plan) = try plan(
            "conv: {name: first, channels: 4, kernel: 1}",
            "maxpool: {name: late, kernel: 1, from: input}",
            "add: {name: sum, from: [first, late]}")
        #expect(names(network, plan) == [["first"], ["late"], ["sum"]])
    }

    @Test func unusedLayersDoNotRunAndElementwiseStepsWorkInPlace() throws {
        // 20 × 3×3 terms on 6×6 pixels (nine tiles, too few for Winograd): a GEMM, which gathers columns.
        let (network, plan) = try plan(input: "{channels: 20, height: 6, width: 6}",
            "conv: {name: a, channels: 4, kernel: 3, padding: 1}",
            "conv: {name: dead, channels: 2, kernel: 1, from: input}",
            "softmax: {from: a}",
            "sigmoid",
            "conv: {name: tail, channels: 2, kernel: 1}")
        #expect(names(network, plan) == [["a"], ["softmax1"], ["sigmoid1"], ["tail"]])
        // softmax and sigmoid are the last readers of their inputs: one buffer holds a, then both;
        // the others are a's padded input and its gathered columns.
        #expect(plan.buffers.map(\.purpose).sorted() == ["a, then softmax1, then sigmoid1", "columns for a", "padded input of a"])
    }

    /// Every bundled model and the plan tests' specs: buffers alive at one time never share a byte, the
    /// arena holds every buffer, and it is at least the lower bound.
    @Test func buffersAliveTogetherNeverOverlap() throws {
        let models = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("models").path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(models.count >= 11)
        for model in models {
            let pipeline = try SpecPipeline.run(path: repositoryRoot.appendingPathComponent("models/" + model).path)
            let plan = ExecutionPlan(network: try #require(pipeline.network))
            #expect(MemoryPlanner.overlaps(plan.buffers).isEmpty, "\(model)")
            #expect(plan.buffers.allSatisfy { $0.offset + $0.floats <= plan.arenaCount }, "\(model)")
            #expect(plan.arenaCount >= plan.lowerBoundCount, "\(model)")
            #expect(plan.buffers.allSatisfy { $0.offset % MemoryPlanner.alignment == 0 }, "\(model)")
        }
    }

    @Test func greedyPlacementOfAHandWorkedExample() {
        // Sizes (in floats) and lifetimes: a 0–1, b 1–2, c 2–3, d 0–3. Largest first: d at 0, then a
        // (alive with d) after d, b after d (a's lifetime touches b's at step 1), c where a was.
        var buffers = [(32, 0, 1), (16, 1, 2), (32, 2, 3), (48, 0, 3)].map {
            ExecutionPlan.Buffer(purpose: "", floats: $0.0, firstStep: $0.1, lastStep: $0.2)
        }
        let arena = MemoryPlanner.place(&buffers)
        #expect(buffers.map(\.offset) == [48, 80, 48, 0])
        #expect(arena == 96)
        #expect(MemoryPlanner.lowerBound(buffers, steps: 4) == 96)
        #expect(MemoryPlanner.overlaps(buffers).isEmpty)
    }
}
