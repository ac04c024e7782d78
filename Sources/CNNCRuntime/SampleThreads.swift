#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A compiled network's `<net>_predict_part`: one thread's part of a call on several threads.
public typealias NetworkPartEntryPoint = @convention(c) (
    UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, Int32,
    (@convention(c) (UnsafeMutableRawPointer?) -> Void)?, UnsafeMutableRawPointer?
) -> Void

/// Threads that run one sample together, as oneDNN's and ONNX Runtime's intra-op pools do: the calling
/// thread runs part 0 and `threads − 1` workers, started once when the pool is made and kept until it
/// is released, run the others. A call wakes the workers, every part runs the network's
/// `predict_part`, which meets at a spinning barrier around each kernel that splits, and the call
/// returns when all parts are done.
///
/// Workers spin for a short while after a call, so back-to-back calls do not pay for a wake-up,
/// then sleep on a condition variable. One call at a time: `run` returns false, doing nothing, while
/// another call holds the pool (the caller then runs the sample alone). `runStep` runs one step of
/// the network the same way, for a profile on several threads.
public final class SampleThreads: @unchecked Sendable {
    public let threads: Int
    private let part: NetworkPartEntryPoint
    private let stepPart: NetworkStepFunction?
    private let partScratchBytes: Int

    private let busy = Atomic<Bool>(false)
    /// Bumped by each call (and by shutdown); a worker runs its part when it sees a new value.
    private let generation = Atomic<Int>(0)
    private let finishedParts = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let arrivals = Atomic<Int>(0)
    private let barrierRound = Atomic<Int>(0)
    /// The current call's pointers and its one step (nil: the whole network); written before
    /// `generation` is bumped, read after it is seen.
    private var job: (input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, arena: UnsafeMutableRawPointer, step: Int32?)?
    private var scratches: [UnsafeMutableRawPointer] = []
    private var workers: [pthread_t] = []
    private var sleepLock = pthread_mutex_t()
    private var wakeUp = pthread_cond_t()

    /// Spins of a worker waiting for the next call before it sleeps: some tens of microseconds.
    private static let spinsBeforeSleep = 50_000
    /// Spins at a barrier between yields of the processor, for machines with fewer free cores than threads.
    private static let spinsBeforeYield = 256

    /// `threads` parts per call (at least 2), each but the first with `partScratchBytes` of its own
    /// scratch; `stepPart` (the network's `run_step`) for `runStep`.
    public init(threads: Int, partScratchBytes: Int, part: @escaping NetworkPartEntryPoint, stepPart: NetworkStepFunction? = nil) {
        self.threads = max(threads, 2)
        self.part = part
        self.stepPart = stepPart
        self.partScratchBytes = max(partScratchBytes, 64)
        pthread_mutex_init(&sleepLock, nil)
        pthread_cond_init(&wakeUp, nil)
        for _ in 1..<self.threads {
            var memory: UnsafeMutableRawPointer?
            guard posix_memalign(&memory, 64, self.partScratchBytes) == 0, let memory else {
                fatalError("out of memory: \(self.partScratchBytes) bytes of scratch for a worker thread")
            }
            scratches.append(memory)
        }
        let pool = Unmanaged.passUnretained(self)
        for index in 1..<self.threads {
            // The pool outlives its workers: deinit joins them before anything is freed.
            if let thread = startThread({ pool.takeUnretainedValue().workerLoop(part: index) }) {
                workers.append(thread)
            } else {
                break
            }
        }
    }

    deinit {
        stopping.store(true, ordering: .releasing)
        wakeWorkers()
        for worker in workers { pthread_join(worker, nil) }
        for scratch in scratches { free(scratch) }
        pthread_cond_destroy(&wakeUp)
        pthread_mutex_destroy(&sleepLock)
    }

    /// The parts a call is split into: the threads that could be started.
    public var parts: Int { workers.count + 1 }

    /// Runs one sample on every thread of the pool; false if another call holds it (nothing done).
    public func run(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, arena: UnsafeMutableRawPointer) -> Bool {
        run(input, output, arena: arena, step: nil)
    }

    /// Runs step `index` alone on every thread of the pool, as `run` runs them all; false if another
    /// call holds the pool or it was made without `stepPart` (nothing done).
    public func runStep(_ index: Int32, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, arena: UnsafeMutableRawPointer) -> Bool {
        stepPart != nil && run(input, output, arena: arena, step: index)
    }

    private func run(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, arena: UnsafeMutableRawPointer, step: Int32?) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        let parts = self.parts
        if parts > 1 {
            job = (input, output, arena, step)
            finishedParts.store(0, ordering: .relaxed)
            wakeWorkers()
        }
        runPart(0, of: parts, input, output, arena, scratch: nil, step: step)
        if parts > 1 { Self.spin { finishedParts.load(ordering: .acquiring) < parts - 1 } }
        return true
    }

    private func runPart(_ index: Int, of parts: Int, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                         _ arena: UnsafeMutableRawPointer, scratch: UnsafeMutableRawPointer?, step: Int32?) {
        let barrier = parts > 1 ? Self.barrier : nil
        let context = parts > 1 ? Unmanaged.passUnretained(self).toOpaque() : nil
        if let step, let stepPart {
            stepPart(step, input, output, arena, scratch, Int32(index), Int32(parts), barrier, context)
        } else {
            part(input, output, arena, scratch, Int32(index), Int32(parts), barrier, context)
        }
    }

    /// Bumps the generation, so spinning workers see it, and wakes the sleeping ones; under the lock,
    /// so none misses it between checking and going to sleep.
    private func wakeWorkers() {
        pthread_mutex_lock(&sleepLock)
        generation.add(1, ordering: .releasing)
        pthread_cond_broadcast(&wakeUp)
        pthread_mutex_unlock(&sleepLock)
    }

    private func workerLoop(part index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < Self.spinsBeforeSleep { continue }
                pthread_mutex_lock(&sleepLock)
                while generation.load(ordering: .acquiring) == seen { pthread_cond_wait(&wakeUp, &sleepLock) }
                pthread_mutex_unlock(&sleepLock)
            }
            seen = generation.load(ordering: .acquiring)
            if stopping.load(ordering: .acquiring) { return }
            guard let job else { continue }
            runPart(index, of: parts, job.input, job.output, job.arena, scratch: scratches[index - 1], step: job.step)
            finishedParts.add(1, ordering: .releasing)
        }
    }

    /// What `predict_part` calls between kernels: a sense-reversing spin barrier over all parts.
    private static let barrier: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
        Unmanaged<SampleThreads>.fromOpaque(context!).takeUnretainedValue().arrive()
    }

    private func arrive() {
        let round = barrierRound.load(ordering: .acquiring)
        if arrivals.add(1, ordering: .acquiringAndReleasing).newValue == parts {
            arrivals.store(0, ordering: .relaxed)
            barrierRound.add(1, ordering: .releasing)
            return
        }
        Self.spin { barrierRound.load(ordering: .acquiring) == round }
    }

    /// Spins while `condition` holds, yielding the processor every `spinsBeforeYield` spins.
    @inline(__always)
    private static func spin(while condition: () -> Bool) {
        var spins = 0
        while condition() {
            spins += 1
            if spins % spinsBeforeYield == 0 { sched_yield() }
        }
    }
}
