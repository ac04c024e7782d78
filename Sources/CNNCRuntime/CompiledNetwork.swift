#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A compiled network's C entry point (`<net>_predict` in its library's header): one sample from
/// `input` to `output`, with `arena` as scratch memory.
public typealias NetworkEntryPoint = @convention(c) (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, UnsafeMutableRawPointer?) -> Void

/// What a generated package says about its network; `cnnc generate` writes one conforming type, and
/// the package's public type is `CompiledNetwork` over it (`public typealias Lenet5 = CompiledNetwork<Lenet5Description>`).
public protocol NetworkDescription: Sendable {
    /// The spec's name, for messages.
    static var name: String { get }
    static var inputShape: FeatureShape { get }
    static var outputShape: FeatureShape { get }
    /// The spec's `labels:`, one per output value.
    static var labels: [String]? { get }
    /// The spec's `preprocess:`, which the image entry points apply.
    static var preprocess: Preprocess { get }
    /// Whether the outputs are probabilities (the network ends in softmax).
    static var outputIsProbability: Bool { get }
    /// The scratch memory one call needs.
    static var arenaBytes: Int { get }
    static var entryPoint: NetworkEntryPoint { get }
    /// One thread's part of a call on several threads, the kernels that split, and the scratch each
    /// part but the first needs.
    static var partEntryPoint: NetworkPartEntryPoint { get }
    static var splitKernelCount: Int { get }
    static var partScratchBytes: Int { get }
    /// The steps in order, and the core's functions that run one alone and probe the peak, for `profile`.
    static var steps: [NetworkStep] { get }
    static var stepFunction: NetworkStepFunction { get }
    static var peakProbe: PeakProbeFunction { get }
    /// The processor level of the compiled code this process runs: the `--cpu` it was built for, or in a
    /// default x86-64 build whichever of its two compilations the library chose (x86-64-v4 with AVX-512).
    static var kernelVariant: String { get }
}

/// A generated network, in the spirit of Core ML's generated classes: a value to keep and share —
/// `Sendable`, and safe to call from any number of tasks or threads at once. Each call borrows a
/// scratch arena from a pool the copies of this value share, so calls never wait for each other and,
/// once warm, allocate nothing but their result. Wrong sizes throw; nothing traps.
///
/// Made with `threads: N`, a value runs each sample on N threads (a pool it starts once and keeps).
/// One call at a time uses the pool; a call made while another holds it runs on its own thread
/// instead. Either way the outputs are the same, bit for bit.
public struct CompiledNetwork<Description: NetworkDescription>: Sendable {
    /// What a call returns: the values, the labels, `top(k)`.
    public typealias Prediction = NetworkPrediction
    /// What a call throws: a one-line message naming the problem.
    public typealias Failure = RuntimeError

    /// One input sample (C, H, W).
    public static var inputShape: FeatureShape { Description.inputShape }
    /// One output sample.
    public static var outputShape: FeatureShape { Description.outputShape }
    /// The processor level of the compiled code running in this process (`NetworkDescription.kernelVariant`).
    public static var kernelVariant: String { Description.kernelVariant }
    /// Floats in one input sample.
    public static var inputCount: Int { Description.inputShape.count }
    /// Floats in one output sample.
    public static var outputCount: Int { Description.outputShape.count }
    /// The spec's `labels:`, one per output value.
    public static var labels: [String]? { Description.labels }
    /// The spec's `preprocess:`, which the image entry points apply (`x' = (x·scale − mean) / std`, x in [0, 1]).
    public static var preprocess: Preprocess { Description.preprocess }
    /// Whether the outputs are probabilities (the network ends in softmax).
    public static var outputIsProbability: Bool { Description.outputIsProbability }

    private let arenas: ArenaPool
    private let sampleThreads: SampleThreads?

    /// Cheap with one thread: arenas are allocated by the first calls that need them. With `threads`
    /// above 1, starts that many − 1 worker threads for single samples, unless no kernel of the
    /// network is large enough to share (`threads` then reads 1).
    public init(threads: Int = 1) {
        arenas = ArenaPool(bytes: Description.arenaBytes)
        sampleThreads = threads > 1 && Description.splitKernelCount > 0
            ? SampleThreads(threads: threads, partScratchBytes: Description.partScratchBytes, part: Description.partEntryPoint,
                            stepPart: Description.stepFunction)
            : nil
    }

    /// The threads each sample runs on.
    public var threads: Int { sampleThreads?.parts ?? 1 }

    /// One sample of `inputCount` floats (C, H, W order, already preprocessed).
    public func predict(_ input: [Float]) throws(Failure) -> Prediction {
        try input.withUnsafeBufferPointer { input throws(Failure) in try predict(input) }
    }

    /// One sample of `inputCount` floats (C, H, W order, already preprocessed).
    public func predict(_ input: UnsafeBufferPointer<Float>) throws(Failure) -> Prediction {
        var values = [Float](repeating: 0, count: Self.outputCount)
        try values.withUnsafeMutableBufferPointer { output throws(Failure) in try predict(input, into: output) }
        return prediction(values)
    }

    /// One sample into a buffer you own: `inputCount` floats in, `outputCount` floats out; allocates nothing.
    public func predict(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) throws(Failure) {
        guard input.count == Self.inputCount, let inputBase = input.baseAddress else {
            throw Failure("\(Description.name): expected \(Self.inputCount) input values (\(Self.inputShape)), got \(input.count)")
        }
        guard output.count == Self.outputCount, let outputBase = output.baseAddress else {
            throw Failure("\(Description.name): expected room for \(Self.outputCount) output values, got \(output.count)")
        }
        predictUnchecked(inputBase, into: outputBase)
    }

    /// One sample through raw pointers, with no size check: `inputCount` floats in, `outputCount` out.
    public func predictUnchecked(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        arenas.withArena { arena in
            if let sampleThreads, sampleThreads.run(input, output, arena: arena) { return }
            Description.entryPoint(input, output, arena)
        }
    }

    /// Floating-point operations of one call (two per multiply-accumulate).
    public static var flopsPerInference: Int { Description.steps.reduce(0) { $0 + $1.flops } }

    /// What the kernels' multiply-adds reach on this processor, one thread, in GFLOP/s, measured now.
    public static func measurePeakGFLOPS() -> Double { NetworkProfile.peakGFLOPS(Description.peakProbe) }

    /// Where a call's time goes: every step timed over `runs` calls on this value's threads, with
    /// the processor's multiply-add peak measured in the same run (`--profile` prints it).
    public func profile(runs: Int) -> NetworkProfile {
        arenas.withArena { arena in
            NetworkProfile.measure(steps: Description.steps, runs: runs, threads: threads, inputCount: Self.inputCount,
                                   outputCount: Self.outputCount, peakProbe: Description.peakProbe) { index, input, output in
                if let sampleThreads, sampleThreads.runStep(index, input, output, arena: arena) { return }
                Description.stepFunction(index, input, output, arena, nil, 0, 1, nil, nil)
            }
        }
    }

    /// An image as 8-bit pixels, as a camera buffer or a PGM/PPM file holds them: rows top to bottom,
    /// channels interleaved (gray, or R, G, B), of the input's size; the spec's preprocessing is
    /// applied, as `cnnc run` does.
    public func predict(pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, channels: Int) throws(Failure) -> Prediction {
        let shape = Self.inputShape
        guard width == shape.width, height == shape.height, channels == shape.channels else {
            throw Failure("\(Description.name): a \(width)×\(height) image with \(channels) channel(s) given; the network takes \(shape.width)×\(shape.height) with \(shape.channels)")
        }
        return try predict(Self.preprocess.input(pixels: pixels, shape: shape))
    }

    /// A file, as `cnnc run` reads it: a PGM/PPM image (preprocessed), an `.npy` array or raw float32.
    /// Files holding several samples give one prediction per sample.
    public func predict(contentsOf path: String) throws(Failure) -> [Prediction] {
        let batch = try InputFile.read(path: path, shape: Self.inputShape, preprocess: Self.preprocess)
        let count = Self.inputCount
        return try batch.values.withUnsafeBufferPointer { values throws(Failure) in
            try (0..<batch.count).map { sample throws(Failure) in
                try predict(UnsafeBufferPointer(rebasing: values[sample * count..<(sample + 1) * count]))
            }
        }
    }

    /// Many samples, spread over the cooperative thread pool (one task per core); results in input order.
    public func predict(batch inputs: [[Float]]) async throws(Failure) -> [Prediction] {
        if let wrong = inputs.firstIndex(where: { $0.count != Self.inputCount }) {
            throw Failure("\(Description.name): batch sample \(wrong) has \(inputs[wrong].count) values, expected \(Self.inputCount)")
        }
        let tasks = max(1, min(availableCores(), inputs.count))
        let chunks = await withTaskGroup(of: (Int, [[Float]]).self) { group in
            for task in 0..<tasks {
                let range = task * inputs.count / tasks..<(task + 1) * inputs.count / tasks
                group.addTask {
                    (task, inputs[range].map { input in
                        var output = [Float](repeating: 0, count: Self.outputCount)
                        input.withUnsafeBufferPointer { input in
                            output.withUnsafeMutableBufferPointer { output in predictUnchecked(input.baseAddress!, into: output.baseAddress!) }
                        }
                        return output
                    })
                }
            }
            var chunks = [[[Float]]](repeating: [], count: tasks)
            for await (task, outputs) in group { chunks[task] = outputs }
            return chunks
        }
        return chunks.joined().map(prediction)
    }

    private func prediction(_ values: [Float]) -> Prediction {
        Prediction(values: values, shape: Self.outputShape, labels: Self.labels, isProbability: Self.outputIsProbability)
    }
}

/// Scratch arenas a network value lends its calls: each call takes one (allocating it, zero-filled,
/// when none is free) and gives it back, so concurrent calls never share one and after the first
/// calls nothing is allocated. At most `keep` free arenas are kept.
public final class ArenaPool: Sendable {
    public let bytes: Int
    private let keep: Int
    // Addresses as integers: a pointer is not Sendable, and only this pool touches them.
    private let idle = Mutex<[UInt]>([])

    public init(bytes: Int, keep: Int = max(2, availableCores())) {
        self.bytes = max(bytes, 64)
        self.keep = keep
    }

    deinit {
        idle.withLock { addresses in
            for address in addresses { free(UnsafeMutableRawPointer(bitPattern: address)) }
        }
    }

    /// Runs `body` with an arena no other call uses meanwhile.
    public func withArena<Result, Failure: Error>(_ body: (UnsafeMutableRawPointer) throws(Failure) -> Result) throws(Failure) -> Result {
        let arena = idle.withLock { $0.popLast() }.flatMap { UnsafeMutableRawPointer(bitPattern: $0) } ?? allocate()
        defer {
            let kept = idle.withLock { addresses in
                guard addresses.count < keep else { return false }
                addresses.append(UInt(bitPattern: arena))
                return true
            }
            if !kept { free(arena) }
        }
        return try body(arena)
    }

    private func allocate() -> UnsafeMutableRawPointer {
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, 64, bytes) == 0, let memory else { fatalError("out of memory: a \(bytes)-byte arena") }
        memset(memory, 0, bytes)
        return memory
    }
}
