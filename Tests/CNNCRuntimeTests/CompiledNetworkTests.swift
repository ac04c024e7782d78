@testable import CNNCRuntime
import Synchronization
import Testing

/// A stand-in for a compiled network's entry point: output[k] = Σ input + k, and it checks the arena
/// it is lent (64-byte aligned; the first float is the call counter this arena has seen).
private func sumPlusIndex(_ input: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>?, _ arena: UnsafeMutableRawPointer?) {
    guard let input, let output, let arena, Int(bitPattern: arena) % 64 == 0 else { return }
    var sum: Float = 0
    for index in 0..<6 { sum += input[index] }
    for index in 0..<3 { output[index] = sum + Float(index) }
    arena.assumingMemoryBound(to: Float.self)[0] += 1
}

/// The toy's two steps for `profile`: the sums (split over the parts as `toyPart` splits them),
/// then nothing; and a peak probe that does no work.
private func toyStep(_ index: Int32, _ input: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>?, _ arena: UnsafeMutableRawPointer?,
                     _ scratch: UnsafeMutableRawPointer?, _ part: Int32, _ parts: Int32,
                     _ barrier: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?, _ context: UnsafeMutableRawPointer?) {
    if index == 0 { toyPart(input, output, arena, scratch, part, parts, barrier, context) }
    guard index == 0 && part == 0 else { return }
    if parts == 1 { stepCallsAlone.add(1, ordering: .relaxed) } else { stepCallsOnThreeParts.add(1, ordering: .relaxed) }
}

/// toyStep's first step's calls on one part and on three (each profile test makes one kind).
private let stepCallsAlone = Atomic<Int>(0), stepCallsOnThreeParts = Atomic<Int>(0)

private func toyProbe(_ iterations: Int32) -> Float { Float(iterations) }

/// The same sums split over `parts` threads as generated code splits a kernel: each part sums its
/// share of the inputs into the arena, waits at the barrier, then writes its share of the outputs
/// from every part's sum — so a barrier that let a part through early would give wrong outputs.
private func toyPart(_ input: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>?, _ arenaBytes: UnsafeMutableRawPointer?,
                     _ scratch: UnsafeMutableRawPointer?, _ part: Int32, _ parts: Int32,
                     _ barrier: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?, _ context: UnsafeMutableRawPointer?) {
    guard let input, let output, let arenaBytes else { return }
    let arena = arenaBytes.assumingMemoryBound(to: Float.self)
    let part = Int(part), parts = Int(parts)
    if part > 0 && (scratch == nil || Int(bitPattern: scratch) % 64 != 0) { return }
    var partial: Float = 0
    for index in part * 6 / parts..<(part + 1) * 6 / parts { partial += input[index] }
    arena[8 + part] = partial
    barrier?(context)
    var sum: Float = 0
    for slot in 0..<parts { sum += arena[8 + slot] }
    for index in part * 3 / parts..<(part + 1) * 3 / parts { output[index] = sum + Float(index) }
    barrier?(context)  // nobody rewrites its slot (next call) before all have read them
    if part == 0 { arena[0] += 1 }
}

private enum ToyDescription: NetworkDescription {
    static let name = "Toy"
    static let inputShape = FeatureShape(channels: 3, height: 1, width: 2)
    static let outputShape = FeatureShape(vector: 3)
    static let labels: [String]? = ["a", "b", "c"]
    static let preprocess = Preprocess(scale: 2, mean: [0.5, 0, 1], std: [2, 1, 4])
    static let outputIsProbability = false
    static let arenaBytes = 100
    static let entryPoint: NetworkEntryPoint = sumPlusIndex
    static let steps = [NetworkStep(layers: "sum + index", strategy: "toy", flops: 18), NetworkStep(layers: "rest", strategy: "none", flops: 0)]
    static let stepFunction: NetworkStepFunction = toyStep
    static let peakProbe: PeakProbeFunction = toyProbe
    static let kernelVariant = "x86-64-v3"
    static let partEntryPoint: NetworkPartEntryPoint = toyPart
    static let splitKernelCount = 1
    static let partScratchBytes = 256
}

private typealias Toy = CompiledNetwork<ToyDescription>

@Suite struct CompiledNetworkTests {
    @Test func predictsAndRanks() throws {
        let prediction = try Toy().predict([1, 2, 3, 4, 5, 6])
        #expect(prediction.values == [21, 22, 23])
        #expect(prediction.shape == FeatureShape(vector: 3))
        #expect(prediction.probabilities == nil)
        #expect(prediction.top(2).map(\.label) == ["c", "b"])
        #expect(prediction.top(5).map(\.index) == [2, 1, 0])
        #expect(prediction.best?.value == 23)
        #expect(Toy.inputCount == 6 && Toy.outputCount == 3 && Toy.labels == ["a", "b", "c"])
    }

    /// A value made with threads runs each sample on its pool: the same outputs as one thread, call
    /// after call, and from concurrent tasks (one holds the pool; the others run alone meanwhile).
    @Test(arguments: [2, 3, 4])
    func threadsGiveTheSameOutputs(threads: Int) async throws {
        let alone = Toy(), threaded = Toy(threads: threads)
        #expect(alone.threads == 1 && threaded.threads == threads)
        for call in 0..<2_000 {
            let input = (0..<6).map { Float(($0 * 7 + call) % 11) }
            let expected = try alone.predict(input).values
            #expect(try threaded.predict(input).values == expected, "call \(call)")
        }
        let agree = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<16 {
                group.addTask {
                    (0..<200).allSatisfy { call in
                        let input = (0..<6).map { Float(($0 + task + call) % 13) }
                        return (try? threaded.predict(input).values) == (try? alone.predict(input).values)
                    }
                }
            }
            return await group.allSatisfy { $0 }
        }
        #expect(agree)
    }

    @Test func profileTimesEveryStepAndSharesAddUp() throws {
        let before = stepCallsAlone.load(ordering: .relaxed)
        let profile = Toy().profile(runs: 7)
        // Ten untimed calls and seven timed ones.
        #expect(stepCallsAlone.load(ordering: .relaxed) - before == 17)
        #expect(profile.runs == 7 && profile.threads == 1 && profile.steps.map(\.step.layers) == ["sum + index", "rest"])
        #expect(profile.steps.allSatisfy { $0.medianNanoseconds >= 0 } && profile.peakGFLOPS > 0)
        #expect(profile.totalFLOPs == 18)
        let lines = profile.text.split(separator: "\n").map { $0.drop { $0 == " " } }
        #expect(lines.contains { $0.hasPrefix("1  sum + index  toy") } && lines.contains { $0.hasPrefix("2  rest") }, "\(profile.text)")
        #expect(lines.last?.contains("total") == true && lines.last?.contains("100.0 %") == true, "\(profile.text)")
        #expect(profile.json.contains("\"layers\": \"sum + index\"") && profile.json.contains("\"total_flops\": 18"), "\(profile.json)")
    }

    /// A value made with threads profiles each step on its pool, and says so.
    @Test func profileOnThreadsRunsEachStepOnThePool() throws {
        let before = stepCallsOnThreeParts.load(ordering: .relaxed)
        let profile = Toy(threads: 3).profile(runs: 5)
        #expect(stepCallsOnThreeParts.load(ordering: .relaxed) - before == 15)
        #expect(profile.threads == 3 && profile.steps.count == 2 && profile.totalFLOPs == 18)
        #expect(profile.text.hasPrefix("median of 5 runs per step, 3 threads;") && profile.text.contains("% peak is of 3 × that"), "\(profile.text)")
        #expect(profile.json.contains("\"threads\": 3,"), "\(profile.json)")
    }

    @Test func wrongSizesThrowInsteadOfTrapping() throws {
        #expect(throws: RuntimeError("Toy: expected 6 input values (3×1×2), got 2")) { try Toy().predict([1, 2]) }
        var output = [Float](repeating: 0, count: 2)
        #expect(throws: RuntimeError("Toy: expected room for 3 output values, got 2")) {
            try [Float](repeating: 0, count: 6).withUnsafeBufferPointer { input in
                try output.withUnsafeMutableBufferPointer { output in try Toy().predict(input, into: output) }
            }
        }
        #expect(throws: RuntimeError("Toy: a 2×1 image with 1 channel(s) given; the network takes 2×1 with 3")) {
            try [UInt8](repeating: 0, count: 2).withUnsafeBufferPointer { try Toy().predict(pixels: $0, width: 2, height: 1, channels: 1) }
        }
    }

    @Test func pixelsArePreprocessedAsTheSpecSays() throws {
        // Interleaved RGB, two pixels: (255, 0, 51), (0, 255, 102). x = p/255, then (2x − mean[c]) / std[c].
        let pixels: [UInt8] = [255, 0, 51, 0, 255, 102]
        let prediction = try pixels.withUnsafeBufferPointer { try Toy().predict(pixels: $0, width: 2, height: 1, channels: 3) }
        let planes: [Float] = [(2 * 1 - 0.5) / 2, (2 * 0 - 0.5) / 2, (2 * 0 - 0) / 1, (2 * 1 - 0) / 1, (2 * 0.2 - 1) / 4, (2 * 0.4 - 1) / 4]
        let sum = planes.reduce(0, +)
        #expect(abs(prediction.values[0] - sum) <= 1e-6)
    }

    @Test func filesGiveOnePredictionPerSample() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/two.npy"
            try NPY.write(path: path, shape: [2, 3, 1, 2], values: [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2])
            let predictions = try Toy().predict(contentsOf: path)
            #expect(predictions.map(\.values) == [[6, 7, 8], [2, 3, 4]])
        }
    }

    @Test func concurrentCallsAndTheBatchAgreeWithSerialCalls() async throws {
        let network = Toy()
        let inputs = (0..<50).map { sample in (0..<6).map { Float(sample * 6 + $0) } }
        let serial = try inputs.map { try network.predict($0).values }
        let batch = try await network.predict(batch: inputs).map(\.values)
        #expect(batch == serial)
        let concurrent = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for index in inputs.indices { group.addTask { (index, try network.predict(inputs[index]).values) } }
            var results = [[Float]](repeating: [], count: inputs.count)
            for try await (index, values) in group { results[index] = values }
            return results
        }
        #expect(concurrent == serial)
        await #expect(throws: RuntimeError("Toy: batch sample 1 has 5 values, expected 6")) {
            try await network.predict(batch: [[0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5]])
        }
    }

    @Test func arenasAreNeverSharedByCallsInFlight() async {
        let pool = ArenaPool(bytes: 10, keep: 3)
        #expect(pool.bytes == 64)
        final class Tracker: Sendable {
            let inUse = Mutex<Set<Int>>([])
            let clashes = Mutex(0)
        }
        let tracker = Tracker()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    pool.withArena { arena in
                        let address = Int(bitPattern: arena)
                        let fresh = tracker.inUse.withLock { $0.insert(address).inserted }
                        if !fresh { tracker.clashes.withLock { $0 += 1 } }
                        #expect(address % 64 == 0)
                        tracker.inUse.withLock { _ = $0.remove(address) }
                    }
                }
            }
        }
        #expect(tracker.clashes.withLock { $0 } == 0)
        // A warm pool lends the arena it kept: zero-filled once, then as the last call left it.
        pool.withArena { $0.storeBytes(of: 7, as: UInt8.self) }
        pool.withArena { arena in #expect(arena.load(as: UInt8.self) == 7) }
    }
}
