import CNNCKernels

/// Writes the Swift source of a network's compute core: one C-callable function whose body runs the
/// plan's kernel calls with every shape as a literal constant. It is compiled with the kernels into a
/// static library (`CoreLibraryBuilder`), so it runs at full speed however the app that links it is
/// built.
struct NetworkEmitter {
    let network: CheckedNetwork
    let plan: ExecutionPlan
    let names: GeneratedNames
    let header: String

    func emit() -> String {
        var printer = CodePrinter()
        printer.print(header)
        printer.print()
        printer.print("import \(names.weightsModule)")
        printer.print()
        emitEntryPoint(&printer)
        printer.print()
        emitProfilingEntryPoints(&printer)
        printer.print()
        emitSteps(&printer)
        printer.print()
        printer.print("// MARK: - Weights")
        printer.print()
        emitPreparedWeights(&printer)
        emitOffsets(&printer)
        return printer.text
    }

    private func emitEntryPoint(_ printer: inout CodePrinter) {
        let analysis = NetworkAnalysis(network)
        printer.print("/// \(commentSafe(network.name)): \(network.input) → \(network.output), \(analysis.parameters.grouped) parameters, \(analysis.macs.grouped) MACs per inference.")
        printer.print("///")
        printer.print("/// Reads \(network.input.count.grouped) floats from `input`, writes \(network.output.count.grouped) to `output`; `arena` holds \(plan.arenaBytes.grouped) bytes")
        printer.print("/// (64-byte aligned, zero-filled before its first use) that no other call uses meanwhile. Allocates nothing.")
        printer.print("@_cdecl(\"\(names.entryPoint)\")")
        printer.block("public func predict(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ arenaBytes: UnsafeMutableRawPointer)") { p in
            p.print("let arena = arenaBytes.assumingMemoryBound(to: Float.self)")
            p.print("let weights = \(weightsPointer), prepared = \(preparedPointer)")
            for name in stepNames {
                p.print("Steps.\(name)(input, output, arena, weights, prepared, .alone)")
            }
        }
        printer.print()
        printer.print("/// Part `part` of `parts` of one `predict` call, for one sample on several threads: every part is")
        printer.print("/// called at once, on its own thread, with the same `input`, `output` and `arena`; `partScratch` is")
        printer.print(plan.partScratchBytes > 0
            ? "/// this part's own \(plan.partScratchBytes.grouped) bytes (unused by part 0), and `barrier(context)` returns once"
            : "/// unused (no split kernel of this network needs scratch), and `barrier(context)` returns once")
        printer.print("/// every part has called it. The outputs equal `predict`'s, bit for bit, for any number of parts.")
        printer.print("@_cdecl(\"\(names.partEntryPoint)\")")
        printer.block("public func predictPart(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, \(partParameters))") { p in
            p.print("let arena = arenaBytes.assumingMemoryBound(to: Float.self)")
            p.print("let weights = \(weightsPointer), prepared = \(preparedPointer)")
            p.print(callPartDeclaration)
            for name in stepNames {
                p.print("Steps.\(name)(input, output, arena, weights, prepared, part)")
            }
        }
    }

    /// The parameters `predictPart` and `runStep` share after their input and output: the arena and
    /// this thread's part of the call.
    private var partParameters: String {
        "_ arenaBytes: UnsafeMutableRawPointer, _ partScratch: UnsafeMutableRawPointer?, _ part: Int32, _ parts: Int32, "
            + "_ barrier: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?, _ barrierContext: UnsafeMutableRawPointer?"
    }

    /// The `CallPart` those parameters make.
    private var callPartDeclaration: String {
        "let part = CallPart(share: WorkShare(part: Int(part), parts: Int(parts)), scratch: partScratch?.assumingMemoryBound(to: Float.self), "
            + "barrier: barrier, barrierContext: barrierContext)"
    }

    /// The weights blob, or an aligned placeholder for a network without weights (never read).
    private var weightsPointer: String {
        plan.blobCount == 0 ? "UnsafePointer<Float>(bitPattern: 64)!" : names.weightsFunction + "()!"
    }

    /// The prepared weights (`emitPreparedWeights`), or the placeholder.
    private var preparedPointer: String {
        plan.preparedCount == 0 ? "UnsafePointer<Float>(bitPattern: 64)!" : "preparedWeights"
    }

    /// What the inferencer's `--profile` calls: one step alone, and a probe of the processor's
    /// multiply-add peak compiled with the kernels' own flags. Only the host library exports them.
    private func emitProfilingEntryPoints(_ printer: inout CodePrinter) {
        printer.print("/// Runs step `index` (0-based) alone, as part `part` of `parts` (see `predictPart`): every step in")
        printer.print("/// order is one `predict` call. For `--profile`, on one thread or several.")
        printer.print("@_cdecl(\"\(names.stepFunction)\")")
        printer.block("public func runStep(_ index: Int32, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, \(partParameters))") { p in
            p.print("let arena = arenaBytes.assumingMemoryBound(to: Float.self)")
            p.print("let weights = \(weightsPointer), prepared = \(preparedPointer)")
            p.print(callPartDeclaration)
            p.block("switch index") { p in
                for (index, name) in stepNames.enumerated() {
                    p.print("case \(index): Steps.\(name)(input, output, arena, weights, prepared, part)")
                }
                p.print("default: break  // no such step: nothing runs")
            }
        }
        printer.print()
        printer.print("/// How step `index` computes in this compilation, as `--profile` prints it (empty for no such")
        printer.print("/// step): a layer can run another kernel in the AVX-512 compilation, and there on the processor's")
        printer.print("/// multiply-add width, so the label is chosen where the kernels are.")
        printer.print("@_cdecl(\"\(names.stepStrategyFunction)\")")
        printer.block("public func stepStrategy(_ index: Int32) -> UnsafePointer<CChar>") { p in
            p.print("let strategy: StaticString")
            p.block("switch index") { p in
                for (index, step) in plan.steps.enumerated() {
                    let baseline = step.strategy(in: .baseline), avx512 = step.strategy(in: .avx512)
                    let atFullWidth = step.strategy(in: .avx512AtFullWidth)
                    guard avx512 != baseline || atFullWidth != avx512 else {
                        p.print("case \(index): strategy = \(quoted(baseline))")
                        continue
                    }
                    p.print("case \(index):")
                    p.withIndentation { p in
                        p.print("#if CNNC_AVX512")
                        p.print(atFullWidth == avx512 ? "strategy = \(quoted(avx512))"
                            : "strategy = \(names.fullWidthFunction)() != 0 ? \(quoted(atFullWidth)) : \(quoted(avx512))")
                        p.print("#else")
                        p.print("strategy = \(quoted(baseline))")
                        p.print("#endif")
                    }
                }
                p.print("default: strategy = \"\"")
            }
            p.print("return UnsafeRawPointer(strategy.utf8Start).assumingMemoryBound(to: CChar.self)")
        }
        printer.print()
        printer.print("/// `iterations` rounds of 192 FLOP of independent multiply-adds: the peak the kernels can reach on")
        printer.print("/// this processor with these flags. Twelve SIMD8 multiply-adds a round, or with AVX-512 (whose")
        printer.print("/// multiply-adds the GEMM's register block uses) twelve SIMD16 ones every other round (`iterations` is")
        printer.print("/// even). Returns the sums so none is dropped.")
        printer.print("@_cdecl(\"\(names.peakProbeFunction)\")")
        printer.block("public func multiplyAddPeakProbe(_ iterations: Int32) -> Float") { p in
            p.print("#if CNNC_AVX512")
            p.print("typealias Vector = SIMD16<Float>")
            p.print("let rounds = iterations / 2")
            p.print("#else")
            p.print("typealias Vector = SIMD8<Float>")
            p.print("let rounds = iterations")
            p.print("#endif")
            p.print("let a = Vector(repeating: 0.999_999), b = Vector(repeating: 1e-7)")
            p.print("var s0 = Vector(repeating: 0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0")
            p.print("var s6 = s0, s7 = s0, s8 = s0, s9 = s0, s10 = s0, s11 = s0")
            p.block("for _ in 0..<rounds") { p in
                p.print("s0.accumulate(a, b); s1.accumulate(a, b); s2.accumulate(a, b); s3.accumulate(a, b)")
                p.print("s4.accumulate(a, b); s5.accumulate(a, b); s6.accumulate(a, b); s7.accumulate(a, b)")
                p.print("s8.accumulate(a, b); s9.accumulate(a, b); s10.accumulate(a, b); s11.accumulate(a, b)")
            }
            p.print("return (s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7 + s8 + s9 + s10 + s11).sum()")
        }
    }

    /// A function name per step, from its first layer's name.
    private var stepNames: [String] {
        SwiftNames.unique(plan.steps.map { step in
            guard let first = step.layers.first else { return "copyInput" }
            return SwiftNames.valueName(network.layers[first].name)
        })
    }

    /// One function per step: its kernels are inlined there with every shape a literal, and no function
    /// grows so large that the optimiser stops inlining the vector maths into it.
    private func emitSteps(_ printer: inout CodePrinter) {
        printer.print("/// The network's steps in order, each kernel called with its shapes as constants.")
        printer.print("///")
        printer.print("/// Arena layout (floats): every intermediate tensor from the step that writes it to the last step")
        printer.print("/// that reads it; buffers alive at the same time never overlap.")
        for buffer in plan.buffers.sorted(by: { ($0.offset, $0.firstStep) < ($1.offset, $1.firstStep) }) {
            let steps = buffer.firstStep == buffer.lastStep ? "step \(buffer.firstStep + 1)" : "steps \(buffer.firstStep + 1)–\(buffer.lastStep + 1)"
            printer.print("/// - [\(buffer.offset), \(buffer.offset + buffer.floats)): \(commentSafe(buffer.purpose)), \(steps)")
        }
        printer.print("///")
        printer.print("/// On several threads (`part`), the kernels that split run on every part between two barriers;")
        printer.print("/// the others run on part 0 while the rest wait at the next barrier.")
        printer.block("private enum Steps") { p in
            // A split kernel waits for the data it reads unless the kernel before it was split too
            // (and so ended with a barrier) or it is the first.
            var previousSplit = true
            var fullWidthCopies: [(step: ExecutionPlan.Step, name: String, previousSplit: Bool)] = []
            let parameters = "(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ arena: UnsafeMutablePointer<Float>, _ weights: UnsafePointer<Float>, _ prepared: UnsafePointer<Float>, _ part: CallPart)"
            for (index, (step, name)) in zip(plan.steps, stepNames).enumerated() {
                if index > 0 { p.print() }
                p.print("// \(index + 1). " + describe(step))
                // A step with a kernel that AVX-512 at full width replaces has a second function for
                // that, so that each keeps its kernels inlined (both in one, Winograd stayed a call).
                let hasFullWidthCopy = step.kernels.contains { kernel in
                    if case .convolveWinograd(_, _, _, _, _, _, _, _, .channelLanes?) = kernel { true } else { false }
                }
                if hasFullWidthCopy { fullWidthCopies.append((step, name, previousSplit)) }
                p.print("@inline(never)")
                p.block("static func \(name)\(parameters)") { p in
                    if hasFullWidthCopy {
                        p.print("#if CNNC_AVX512")
                        p.print("if \(names.fullWidthFunction)() != 0 { return AtFullWidth.\(name)(input, output, arena, weights, prepared, part) }")
                        p.print("#endif")
                    }
                    emitStepBody(step, &p, previousSplit: &previousSplit, atFullWidth: false)
                }
            }
            // Step names start in lower case, so this enum's name is none of theirs.
            guard !fullWidthCopies.isEmpty else { return }
            p.print()
            p.print("#if CNNC_AVX512")
            p.print("/// The steps whose kernels differ where 512-bit multiply-adds run at full width.")
            p.block("enum AtFullWidth") { p in
                for (index, (step, name, previousSplitBefore)) in fullWidthCopies.enumerated() {
                    if index > 0 { p.print() }
                    var previous = previousSplitBefore
                    p.print("@inline(never)")
                    p.block("static func \(name)\(parameters)") { p in
                        emitStepBody(step, &p, previousSplit: &previous, atFullWidth: true)
                    }
                }
            }
            p.print("#endif")
        }
    }

    /// The kernels of one step, with the barriers between them; `previousSplit` says whether the kernel
    /// before (maybe the previous step's last) split across threads, and so ended with a barrier.
    private func emitStepBody(_ step: ExecutionPlan.Step, _ p: inout CodePrinter, previousSplit: inout Bool, atFullWidth: Bool) {
        let copy = plan.paddedCopyPerPart(step)
        for (kernelIndex, kernel) in step.kernels.enumerated() {
            if let copy, kernelIndex == copy.index {
                // Every part pads into its own copy, once the data it reads is complete.
                if !previousSplit { p.print("part.synchronize()") }
                p.print(call(kernel, split: false, copiedPerPart: copy.floats, atFullWidth: atFullWidth))
                previousSplit = true
                continue
            }
            if kernel.splitsAcrossThreads {
                if !previousSplit { p.print("part.synchronize()") }
                p.print(call(kernel, split: true, copiedPerPart: copy.flatMap { kernelIndex == $0.index + 1 ? $0.floats : nil }, atFullWidth: atFullWidth))
                p.print("part.synchronize()")
            } else {
                p.block("if part.isLead") { p in p.print(call(kernel, split: false, atFullWidth: atFullWidth)) }
            }
            previousSplit = kernel.splitsAcrossThreads
        }
    }

    /// `c1 (models/lenet5.yaml:6): conv 5×5 · + tanh1`
    private func describe(_ step: ExecutionPlan.Step) -> String {
        let layers = step.layers.map { network.layers[$0] }
        guard let first = layers.first else { return "no layer moves data: copy the input" }
        var text = "\(first.name) (\(network.spec.path):\(first.spec.location.start.line)): \(first.operation.summaryDescription)"
        for fused in layers.dropFirst() {
            text += " + \(fused.name) (\(fused.operation.summaryDescription), fused)"
        }
        return commentSafe(text)
    }

    private func operand(_ operand: ExecutionPlan.Operand) -> String {
        let base: String
        var offset = operand.offset
        switch operand.base {
        case .input: base = "input"
        case .output: base = "output"
        case .buffer(let index):
            base = "arena"
            offset += plan.buffers[index].offset
        }
        return offset == 0 ? base : "\(base) + \(offset)"
    }

    private func weight(_ slice: ExecutionPlan.WeightSlice) -> String {
        (slice.isPrepared ? "prepared" : "weights") + " + Offsets.\(names.offsetConstant[slice.name]!)"
    }

    private func residual(_ operand: ExecutionPlan.Operand?) -> String {
        operand.map { "residual: \(self.operand($0)), " } ?? ""
    }

    /// Kernel calls name their module, so a step named like a kernel (a layer called `dense`) cannot
    /// shadow it.
    private var module: String { names.coreSwiftModule + "." }

    /// The kernel's call; a `split` one does this part's share of the work. `copiedPerPart`: the floats
    /// of the padded copy each part makes of its own (`ExecutionPlan.paddedCopyPerPart`), for the
    /// padding kernel that writes it and the convolution that reads it.
    private func call(_ kernel: ExecutionPlan.Kernel, split: Bool, copiedPerPart: Int? = nil, atFullWidth: Bool = false) -> String {
        let share = split ? ", share: part.share" : ""
        // The part's own copy of a padded input: the arena's on part 0, its scratch's start elsewhere.
        let copy: ExecutionPlan.Operand?
        if case .pad(_, let target, _, _, _, _, _, _) = kernel { copy = target } else { copy = kernel.convolutionInput }
        func operand(_ operand: ExecutionPlan.Operand) -> String {
            let text = self.operand(operand)
            return copiedPerPart != nil && operand == copy ? "part.scratch(arena: \(text))" : text
        }
        // A split kernel's own scratch, past the padded copy where there is one.
        func kernelScratch(_ scratch: ExecutionPlan.Operand) -> String {
            guard split else { return self.operand(scratch) }
            return copiedPerPart.map { "part.scratch(arena: \(self.operand(scratch)), past: \($0))" } ?? "part.scratch(arena: \(self.operand(scratch)))"
        }
        // `convolveDirect` or `convolveDirectWide`, the latter also where it replaces Winograd.
        func direct(_ name: String, _ source: ExecutionPlan.Operand, _ target: ExecutionPlan.Operand, _ added: ExecutionPlan.Operand?,
                    _ weights: ExecutionPlan.WeightSlice, _ bias: ExecutionPlan.WeightSlice?, _ geometry: ConvolutionGeometry,
                    _ activation: ActivationFunction) -> String {
            let indent = String(repeating: " ", count: name.count + 1)
            return "\(module)\(name)(\(operand(source)), packedWeights: \(weight(weights)), bias: \(bias.map(weight) ?? "nil"), \(residual(added))output: \(operand(target)),\n"
                + "\(indent)geometry: \(literal(geometry)),\n\(indent)activation: \(literal(activation))\(share))"
        }
        switch kernel {
        case .pad(let source, let target, let channels, let height, let width, let margins, let mode, let columnPhases):
            return "\(module)\(columnPhases == 2 ? "padPlanesByColumnPhase" : "padPlanes")(\(operand(source)), into: \(operand(target)), channels: \(channels), height: \(height), width: \(width), margins: \(literal(margins)), mode: \(literal(mode))\(share))"
        case .convolveDirect(let source, let target, let added, let weights, let bias, let geometry, let activation):
            let narrow = direct("convolveDirect", source, target, added, weights, bias, geometry, activation)
            // An AVX-512 compilation takes sixteen pixels per vector where it can (`directTakesWideVectors`).
            guard directTakesWideVectors(geometry, activation) else { return narrow }
            return "#if CNNC_AVX512\n\(direct("convolveDirectWide", source, target, added, weights, bias, geometry, activation))\n#else\n\(narrow)\n#endif"
        case .convolveDirectSpanningRows(let source, let target, let added, let weights, let bias, let geometry, let activation, let scratch):
            // `convolveDirectSpanningRows` or its sixteen-lane form, which take the shifted rows' scratch.
            func spanning(_ name: String) -> String {
                let indent = String(repeating: " ", count: name.count + 1)
                return "\(module)\(name)(\(operand(source)), packedWeights: \(weight(weights)), bias: \(bias.map(weight) ?? "nil"), \(residual(added))output: \(operand(target)),\n"
                    + "\(indent)geometry: \(literal(geometry)),\n\(indent)activation: \(literal(activation)), scratch: \(kernelScratch(scratch))\(share))"
            }
            let narrow = spanning("convolveDirectSpanningRows")
            // The same packed weights serve the AVX-512 compilation's kernels: two channels over seven
            // vectors where that wastes fewest lanes (`spanningRowsTakePairs`), else the wide direct
            // kernel where rows fill its vectors (`spanningRowsGiveWayToWideVectors`).
            if spanningRowsTakePairs(geometry, activation) {
                return "#if CNNC_AVX512\n\(spanning("convolveDirectSpanningRowsInPairs"))\n#else\n\(narrow)\n#endif"
            }
            if spanningRowsGiveWayToWideVectors(geometry, activation) {
                return "#if CNNC_AVX512\n\(direct("convolveDirectWide", source, target, added, weights, bias, geometry, activation))\n#else\n\(narrow)\n#endif"
            }
            guard spanningRowsTakeWideVectors(geometry, activation) else { return narrow }
            return "#if CNNC_AVX512\n\(spanning("convolveDirectSpanningRowsWide"))\n#else\n\(narrow)\n#endif"
        case .convolveDepthwise(let source, let target, let added, let weights, let bias, let geometry, let activation, let padding):
            let padded = padding.map { padding in
                let scratch = kernelScratch(padding.scratch)
                return ",\n                  padding: PlanePadding(margins: \(literal(padding.margins)), mode: \(literal(padding.mode)), scratch: \(scratch))"
            } ?? ""
            return "\(module)convolveDepthwise(\(operand(source)), weights: \(weight(weights)), bias: \(bias.map(weight) ?? "nil"), \(residual(added))output: \(operand(target)),\n"
                + "                  geometry: \(literal(geometry)),\n                  activation: \(literal(activation))\(padded)\(share))"
        case .convolveGEMM(let source, let target, let added, let weights, let bias, let geometry, let activation, let scratch):
            return "\(module)convolveGEMM(\(operand(source)), packedWeights: \(weight(weights)), bias: \(bias.map(weight) ?? "nil"), \(residual(added))output: \(operand(target)),\n"
                + "             geometry: \(literal(geometry)),\n             activation: \(literal(activation)), scratch: \(kernelScratch(scratch))\(share))"
        case .convolveWinograd(let source, let target, let added, let weights, let bias, let geometry, let activation, let scratch, let avx512):
            let winograd = "\(module)convolveWinograd(\(operand(source)), packedWeights: \(weight(weights)), bias: \(bias.map(weight) ?? "nil"), \(residual(added))output: \(operand(target)),\n"
                + "                 geometry: \(literal(geometry)),\n                 activation: \(literal(activation)), scratch: \(kernelScratch(scratch))\(share))"
            // The step's copy for AVX-512 at full width runs another kernel instead (`ExecutionPlan.AVX512Kernel`).
            switch avx512 {
            case .channelLanes(let packed) where atFullWidth:
                return call(.convolveChannelLanes(source: source, target: target, residual: added, weights: packed, bias: bias,
                                                  geometry: geometry, activation: activation, scratch: scratch),
                            split: split, copiedPerPart: copiedPerPart)
            case nil, .channelLanes:
                return winograd
            }
        case .convolveChannelLanes(let source, let target, let added, let weights, let bias, let geometry, let activation, let scratch):
            return "\(module)convolveChannelLanes(\(operand(source)), packedWeights: \(weight(weights)), bias: \(bias.map(weight) ?? "nil"), \(residual(added))output: \(operand(target)),\n"
                + "                     geometry: \(literal(geometry)),\n                     activation: \(literal(activation)), scratch: \(kernelScratch(scratch))\(share))"
        case .convolveTransposed(let source, let target, let weights, let bias, let geometry, let activation):
            return "\(module)convolveTransposed(\(operand(source)), packedWeights: \(weight(weights)), bias: \(bias.map(weight) ?? "nil"), output: \(operand(target)),\n"
                + "                   geometry: \(literal(geometry)),\n                   activation: \(literal(activation))\(share))"
        case .maxPool(let source, let target, let geometry):
            return "\(module)maxPool(\(operand(source)), output: \(operand(target)), geometry: \(literal(geometry))\(share))"
        case .averagePool(let source, let target, let geometry, let countIncludePad):
            return "\(module)averagePool(\(operand(source)), output: \(operand(target)), geometry: \(literal(geometry)), countIncludePad: \(countIncludePad)\(share))"
        case .globalAveragePool(let source, let target, let channels, let plane):
            return "\(module)globalAveragePool(\(operand(source)), output: \(operand(target)), channels: \(channels), plane: \(plane)\(share))"
        case .globalMaxPool(let source, let target, let channels, let plane):
            return "\(module)globalMaxPool(\(operand(source)), output: \(operand(target)), channels: \(channels), plane: \(plane)\(share))"
        case .scaleAndShift(let source, let target, let scale, let shift, let channels, let plane, let activation):
            return "\(module)scaleAndShift(\(operand(source)), scale: \(weight(scale)), shift: \(weight(shift)), output: \(operand(target)), channels: \(channels), plane: \(plane), activation: \(literal(activation)))"
        case .softmax(let source, let target, let channels, let plane):
            return "\(module)softmaxOverChannels(\(operand(source)), output: \(operand(target)), channels: \(channels), plane: \(plane))"
        case .activate(let source, let target, let count, let activation):
            return "\(module)activate(\(operand(source)), output: \(operand(target)), count: \(count), activation: \(literal(activation)))"
        case .dense(let source, let target, let weights, let bias, let inFeatures, let outFeatures, let activation):
            return "\(module)dense(\(operand(source)), packedWeights: \(weight(weights)), bias: \(bias.map(weight) ?? "nil"), output: \(operand(target)),\n"
                + "      inFeatures: \(inFeatures), outFeatures: \(outFeatures), activation: \(literal(activation))\(share))"
        case .add(let first, let second, let target, let count, let activation):
            return "\(module)addTensors(\(operand(first)), \(operand(second)), output: \(operand(target)), count: \(count), activation: \(literal(activation)))"
        case .multiply(let first, let second, let target, let count):
            return "\(module)multiplyTensors(\(operand(first)), \(operand(second)), output: \(operand(target)), count: \(count))"
        case .multiplyChannels(let source, let gate, let target, let channels, let plane):
            return "\(module)multiplyChannels(\(operand(source)), gate: \(operand(gate)), output: \(operand(target)), channels: \(channels), plane: \(plane))"
        case .upsampleNearest(let source, let target, let channels, let inHeight, let inWidth, let scale):
            return "\(module)upsampleNearest(\(operand(source)), output: \(operand(target)), channels: \(channels), inHeight: \(inHeight), inWidth: \(inWidth), scaleHeight: \(scale.height), scaleWidth: \(scale.width)\(share))"
        case .upsampleBilinear(let source, let target, let channels, let inHeight, let inWidth, let scale):
            return "\(module)upsampleBilinear(\(operand(source)), output: \(operand(target)), channels: \(channels), inHeight: \(inHeight), inWidth: \(inWidth), scaleHeight: \(scale.height), scaleWidth: \(scale.width)\(share))"
        case .copy(let source, let target, let count):
            let target = operand(target)
            return "\(target.contains(" ") ? "(\(target))" : target).update(from: \(operand(source)), count: \(count))"
        }
    }

    private func literal(_ margins: Margins) -> String {
        "Margins(top: \(margins.top), bottom: \(margins.bottom), left: \(margins.left), right: \(margins.right))"
    }

    private func literal(_ mode: BorderMode) -> String {
        switch mode {
        case .constant(let value): ".constant(\(swiftFloatLiteral(value)))"
        case .reflect: ".reflect"
        case .replicate: ".replicate"
        case .circular: ".circular"
        }
    }

    private func literal(_ activation: ActivationFunction) -> String {
        switch activation {
        case .identity: "Activations.Identity()"
        case .relu: "Activations.ReLU()"
        case .relu6: "Activations.ReLU6()"
        case .leakyReLU(let alpha): "Activations.LeakyReLU(alpha: \(swiftFloatLiteral(alpha)))"
        case .elu(let alpha): "Activations.ELU(alpha: \(swiftFloatLiteral(alpha)))"
        case .sigmoid: "Activations.Sigmoid()"
        case .tanh: "Activations.Tanh()"
        case .gelu: "Activations.GELU()"
        case .silu: "Activations.SiLU()"
        }
    }

    private func literal(_ g: ConvolutionGeometry) -> String {
        "ConvolutionGeometry(inChannels: \(g.inChannels), outChannels: \(g.outChannels), groups: \(g.groups), "
            + "inHeight: \(g.inHeight), inWidth: \(g.inWidth), outHeight: \(g.outHeight), outWidth: \(g.outWidth), "
            + "kernelHeight: \(g.kernelHeight), kernelWidth: \(g.kernelWidth), strideHeight: \(g.strideHeight), strideWidth: \(g.strideWidth), "
            + "dilationHeight: \(g.dilationHeight), dilationWidth: \(g.dilationWidth)"
            + (g.columnPhases == 1 ? ")" : ", columnPhases: \(g.columnPhases))")
    }

    private func literal(_ g: TransposedGeometry) -> String {
        "TransposedGeometry(inChannels: \(g.inChannels), outChannels: \(g.outChannels), groups: \(g.groups), "
            + "inHeight: \(g.inHeight), inWidth: \(g.inWidth), outHeight: \(g.outHeight), outWidth: \(g.outWidth), "
            + "kernelHeight: \(g.kernelHeight), kernelWidth: \(g.kernelWidth), strideHeight: \(g.strideHeight), strideWidth: \(g.strideWidth), "
            + "dilationHeight: \(g.dilationHeight), dilationWidth: \(g.dilationWidth), padTop: \(g.padTop), padLeft: \(g.padLeft))"
    }

    private func literal(_ g: PoolingGeometry) -> String {
        "PoolingGeometry(channels: \(g.channels), inHeight: \(g.inHeight), inWidth: \(g.inWidth), outHeight: \(g.outHeight), "
            + "outWidth: \(g.outWidth), kernelHeight: \(g.kernelHeight), kernelWidth: \(g.kernelWidth), strideHeight: \(g.strideHeight), "
            + "strideWidth: \(g.strideWidth), margins: \(literal(g.margins)))"
    }

    /// The weights computed on the first call (`WeightSlice.Contents.prepared`) into the weights
    /// module's static memory: a global's initializer, which Swift runs once, thread-safely.
    private func emitPreparedWeights(_ printer: inout CodePrinter) {
        guard plan.preparedCount > 0 else { return }
        printer.print("/// The weights computed from embedded ones on the first call of any entry point, into \((plan.preparedCount * 4).grouped) bytes of")
        printer.print("/// static memory: Winograd's transformed filters are 16/9 the size of the filters, so the binary embeds those.")
        printer.print("nonisolated(unsafe) private let preparedWeights: UnsafePointer<Float> = {")
        printer.withIndentation { p in
            p.print("let weights = \(weightsPointer), prepared = \(names.preparedWeightsFunction)()!")
            for slice in plan.slices {
                guard case .prepared(let source, let transform) = slice.contents else { continue }
                switch transform {
                case .winogradFilters(let geometry, let replacedWithAVX512):
                    let transform = "\(module)transformWinogradFilters(\(weight(source)), into: prepared + Offsets.\(names.offsetConstant[slice.name]!),\n"
                        + "    geometry: \(literal(geometry)))"
                    if replacedWithAVX512 {
                        p.print("#if CNNC_AVX512")
                        p.print("if \(names.fullWidthFunction)() == 0 {")
                        p.withIndentation { $0.print(transform) }
                        p.print("}")
                        p.print("#else")
                        p.print(transform)
                        p.print("#endif")
                    } else {
                        p.print(transform)
                    }
                case .channelLanePacking(let geometry):
                    p.print("#if CNNC_AVX512")
                    p.print("if \(names.fullWidthFunction)() != 0 {")
                    p.withIndentation { p in
                        p.print("\(module)packForChannelLanes(\(weight(source)), into: prepared + Offsets.\(names.offsetConstant[slice.name]!),")
                        p.print("    geometry: \(literal(geometry)))")
                    }
                    p.print("}")
                    p.print("#endif")
                }
            }
            p.print("return UnsafePointer(prepared)")
        }
        printer.print("}()")
        printer.print()
    }

    private func emitOffsets(_ printer: inout CodePrinter) {
        printer.print("/// Where each tensor starts in the embedded weights, or in the prepared ones, in floats (64-byte aligned).")
        printer.block("private enum Offsets") { p in
            for slice in plan.slices {
                p.print("/// \(commentSafe(slice.name)): \(slice.count.grouped) floats" + (slice.isPrepared ? ", prepared" : ""))
                p.print("static let \(names.offsetConstant[slice.name]!) = \(slice.offset)")
            }
        }
    }
}

/// Every identifier the generated package uses, derived from the spec's names once so they agree;
/// every module and exported C symbol carries the network's name, so any number of generated
/// packages coexist in one app.
struct GeneratedNames {
    /// The library module: `Lenet5`; its value type has the same name.
    var module: String
    /// The binary target holding the compiled network (a C module): `Lenet5Kernels`.
    var kernelsModule: String
    /// The Swift module compiled into it (its symbols are all local to the library).
    var coreSwiftModule: String
    /// The support code (input files, preprocessing, the command line): `Lenet5Runtime`.
    var runtimeModule: String
    /// The C module of the weights, inside the compiled library only.
    var weightsModule: String
    /// Its accessor functions: the embedded weights, and the static memory of the prepared ones.
    var weightsFunction: String
    var preparedWeightsFunction: String
    /// The executable target, and the command it builds: `Lenet5Inferencer`, `lenet5`.
    var executableTarget: String
    var command: String
    /// The prefix of the library's C symbols and macros: `lenet5`, `LENET5`.
    var cPrefix: String
    /// Weight slice name → Swift constant name.
    var offsetConstant: [String: String]

    init(network: CheckedNetwork, slices: [ExecutionPlan.WeightSlice]) {
        module = SwiftNames.typeName(network.name)
        kernelsModule = module + "Kernels"
        coreSwiftModule = module + "Core"
        runtimeModule = module + "Runtime"
        weightsModule = module + "Weights"
        command = SwiftNames.commandName(network.name)
        cPrefix = command.replacingOccurrences(of: "-", with: "_")
        if cPrefix.first!.isNumber { cPrefix = "n" + cPrefix }
        weightsFunction = cPrefix + "_weights"
        preparedWeightsFunction = cPrefix + "_prepared_weights"
        executableTarget = module + "Inferencer"
        let constants = SwiftNames.unique(slices.map { SwiftNames.valueName($0.name) })
        offsetConstant = Dictionary(uniqueKeysWithValues: zip(slices.map(\.name), constants))
    }

    /// `lenet5_weights`.
    func cFunction(_ name: String) -> String { cPrefix + "_" + name }
    /// `lenet5_predict_with_arena`: the compiled network's C entry point on every target. The
    /// microcontroller library adds `lenet5_predict(input, output)` on a static arena.
    var entryPoint: String { cFunction("predict_with_arena") }
    /// `lenet5_run_step` and `lenet5_peak_probe`, for the inferencer's `--profile`.
    var stepFunction: String { cFunction("run_step") }
    /// `lenet5_predict_part`: one thread's part of a call on several threads (host library only).
    var partEntryPoint: String { cFunction("predict_part") }
    var peakProbeFunction: String { cFunction("peak_probe") }
    /// `lenet5_multiplies_512_bits_at_full_width`: whether an AVX-512 compilation runs the kernels
    /// that only pay where 512-bit multiply-adds run at full width (`ExecutionPlan.AVX512Kernel`).
    var fullWidthFunction: String { cFunction("multiplies_512_bits_at_full_width") }
    /// `lenet5_kernel_variant`: which compilation runs, in a build with the AVX-512 variant.
    var kernelVariantFunction: String { cFunction("kernel_variant") }
    /// `lenet5_step_strategy`: how each step computes in the compilation that runs, for `--profile`.
    var stepStrategyFunction: String { cFunction("step_strategy") }
    /// `LENET5_ARENA_BYTES`.
    func cMacro(_ name: String) -> String { cPrefix.uppercased() + "_" + name }
}
