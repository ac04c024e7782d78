import CNNCRuntime
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Shared counters for checking which indices the threads visit; each index is its own slot.
final class VisitCounts: @unchecked Sendable {
    let counts: UnsafeMutablePointer<Int>
    let threadIDs: UnsafeMutablePointer<UInt>
    let size: Int

    init(_ size: Int) {
        self.size = size
        counts = .allocate(capacity: max(size, 1))
        counts.initialize(repeating: 0, count: max(size, 1))
        threadIDs = .allocate(capacity: max(size, 1))
        threadIDs.initialize(repeating: 0, count: max(size, 1))
    }

    deinit {
        counts.deallocate()
        threadIDs.deallocate()
    }

    func visit(_ index: Int) {
        counts[index] += 1
        threadIDs[index] = Self.currentThreadID
    }

    static var currentThreadID: UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }

    var all: [Int] { Array(UnsafeBufferPointer(start: counts, count: size)) }
    var distinctThreads: Int { Set(UnsafeBufferPointer(start: threadIDs, count: size)).count }
}

@Suite struct ThreadsTests {
    @Test(arguments: [1, 2, 3, 4, 7])
    func everyPartRunsOncePerCallEachOnItsOwnThread(threads: Int) {
        let pool = WorkerPool(threads: threads)
        #expect(pool.parts == threads)
        for call in 0..<5 {
            let visits = VisitCounts(pool.parts)
            pool.run { visits.visit($0) }
            #expect(visits.all == [Int](repeating: 1, count: threads), "call \(call), threads \(threads)")
            #expect(visits.distinctThreads == threads, "call \(call), threads \(threads)")
        }
    }

    /// The point of the pool: no thread is started per call. The second call comes after the workers
    /// have gone to sleep, so it also checks that they wake.
    @Test func theSameThreadsServeEveryCallAndWakeFromSleep() {
        let pool = WorkerPool(threads: 3)
        let first = VisitCounts(3), later = VisitCounts(3)
        pool.run { first.visit($0) }
        usleep(50_000)
        pool.run { later.visit($0) }
        let firstIDs = Array(UnsafeBufferPointer(start: first.threadIDs, count: 3))
        let laterIDs = Array(UnsafeBufferPointer(start: later.threadIDs, count: 3))
        #expect(Set(firstIDs).count == 3)
        #expect(laterIDs == firstIDs)
    }

    @Test func nonPositiveThreadCountsRunOnTheCallingThread() {
        for threads in [0, -5] {
            let pool = WorkerPool(threads: threads)
            let visits = VisitCounts(1)
            pool.run { visits.visit($0) }
            #expect(pool.parts == 1)
            #expect(visits.all == [1])
            #expect(visits.threadIDs[0] == VisitCounts.currentThreadID)
        }
    }

    @Test func aReleasedPoolStopsItsWorkers() {
        weak var released: WorkerPool?
        do {
            let pool = WorkerPool(threads: 4)
            released = pool
            let visits = VisitCounts(4)
            pool.run { visits.visit($0) }
            #expect(visits.all == [1, 1, 1, 1])
        }
        #expect(released == nil)
    }

    /// Every part of a sample passes the network's barrier; releasing the threads stops their workers.
    @Test func sampleThreadsMeetAtTheBarrierAndStopWhenReleased() {
        weak var released: SampleThreads?
        do {
            let threads = SampleThreads(threads: 3, partScratchBytes: 64) { _, output, _, _, part, parts, barrier, context in
                barrier?(context)
                // After the barrier every part has arrived; each part marks its own slot.
                output![Int(part)] = Float(parts)
                barrier?(context)
            }
            released = threads
            var input: Float = 0
            var outputs = [Float](repeating: 0, count: 3)
            let arena = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
            defer { arena.deallocate() }
            let ran = outputs.withUnsafeMutableBufferPointer { threads.run(&input, $0.baseAddress!, arena: arena) }
            #expect(ran)
            #expect(outputs == [3, 3, 3])
        }
        #expect(released == nil)
    }

    @Test func availableCoresIsPositive() {
        #expect(availableCores() >= 1)
        #expect(availableCores() <= max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1))
    }
}

/// Output k = (k + 1) · the sum of the input sample; counts how many instances exist.
final class ScalingSumPredictor: Predictor {
    let inputCount: Int
    let outputCount: Int

    init(inputCount: Int, outputCount: Int) {
        self.inputCount = inputCount
        self.outputCount = outputCount
    }

    func predict(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        var sum: Float = 0
        for index in 0..<inputCount { sum += input[index] }
        for index in 0..<outputCount { output[index] = Float(index + 1) * sum }
    }
}

final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Int] = []
    func append(_ value: Int) { lock.lock(); recorded.append(value); lock.unlock() }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return recorded }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() { lock.lock(); value += 1; lock.unlock() }
    var current: Int { lock.lock(); defer { lock.unlock() }; return value }
}

@Suite struct BatchPredictorTests {
    /// A single sample gets every thread; two samples on five threads get two each.
    @Test(arguments: [(threads: 4, count: 1, perSample: 4), (threads: 5, count: 2, perSample: 2), (threads: 2, count: 7, perSample: 1)])
    func samplesFewerThanThreadsShareThem(threads: Int, count: Int, perSample: Int) {
        let asked = Recorder()
        let batchPredictor = BatchPredictor(inputCount: 4, outputCount: 2, threads: threads) { perSample in
            asked.append(perSample)
            return ScalingSumPredictor(inputCount: 4, outputCount: 2)
        }
        let inputs = [Float](repeating: 1, count: count * 4)
        var outputs = [Float](repeating: .nan, count: count * 2)
        inputs.withUnsafeBufferPointer { input in
            outputs.withUnsafeMutableBufferPointer { output in
                batchPredictor.predict(input.baseAddress!, count: count, output.baseAddress!)
            }
        }
        #expect(asked.values == [Int](repeating: perSample, count: min(threads, count)))
        #expect(outputs == [Float]((0..<count).flatMap { _ in [4, 8] }))
    }

    @Test(arguments: [1, 2, 3, 8])
    func batchesMatchOneByOneAndMakeOnePredictorPerThread(threads: Int) {
        let made = Counter()
        let batchPredictor = BatchPredictor(inputCount: 4, outputCount: 2, threads: threads) { perSample in
            #expect(perSample == 1)
            made.increment()
            return ScalingSumPredictor(inputCount: 4, outputCount: 2)
        }
        let count = 13
        let inputs = (0..<count * 4).map { Float($0 % 7) }
        var outputs = [Float](repeating: .nan, count: count * 2)
        for _ in 0..<3 {
            inputs.withUnsafeBufferPointer { input in
                outputs.withUnsafeMutableBufferPointer { output in
                    batchPredictor.predict(input.baseAddress!, count: count, output.baseAddress!)
                }
            }
        }
        let expected = (0..<count).flatMap { sample -> [Float] in
            let sum = inputs[sample * 4..<sample * 4 + 4].reduce(0, +)
            return [sum, 2 * sum]
        }
        #expect(outputs == expected)
        #expect(made.current == min(threads, count))
    }
}
