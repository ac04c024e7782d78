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

/// Threads that run one sample together: the calling thread runs part 0 and the workers of a
/// `WorkerPool`, started once when this is made, run the others. Every part runs the network's
/// `predict_part`, which meets at a spinning barrier around each kernel that splits.
///
/// One call at a time: `run` returns false, doing nothing, while another call holds the pool (the
/// caller then runs the sample alone). `runStep` runs one step of the network the same way, for a
/// profile on several threads.
public final class SampleThreads: @unchecked Sendable {
    public let threads: Int
    private let part: NetworkPartEntryPoint
    private let stepPart: NetworkStepFunction?
    private let pool: WorkerPool
    private let busy = Atomic<Bool>(false)
    private let arrivals = Atomic<Int>(0)
    private let barrierRound = Atomic<Int>(0)
    /// One scratch for each part but the first.
    private let scratches: [UnsafeMutableRawPointer]

    /// `threads` parts per call (at least 2), each but the first with `partScratchBytes` of its own
    /// scratch; `stepPart` (the network's `run_step`) for `runStep`.
    public init(threads: Int, partScratchBytes: Int, part: @escaping NetworkPartEntryPoint, stepPart: NetworkStepFunction? = nil) {
        self.threads = max(threads, 2)
        self.part = part
        self.stepPart = stepPart
        pool = WorkerPool(threads: self.threads)
        let bytes = max(partScratchBytes, 64)
        scratches = (1..<pool.parts).map { _ in
            var memory: UnsafeMutableRawPointer?
            guard posix_memalign(&memory, 64, bytes) == 0, let memory else {
                fatalError("out of memory: \(bytes) bytes of scratch for a worker thread")
            }
            return memory
        }
    }

    deinit {
        // No call is running, so the idle workers touch no scratch.
        for scratch in scratches { free(scratch) }
    }

    /// The parts a call is split into: the threads that could be started.
    public var parts: Int { pool.parts }

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
        let call = UncheckedSendable((input, output, arena))
        pool.run { index in
            let (input, output, arena) = call.value
            self.runPart(index, input, output, arena, step: step)
        }
        return true
    }

    private func runPart(_ index: Int, _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>,
                         _ arena: UnsafeMutableRawPointer, step: Int32?) {
        let parts = self.parts
        let barrier = parts > 1 ? Self.barrier : nil
        let context = parts > 1 ? Unmanaged.passUnretained(self).toOpaque() : nil
        let scratch = index == 0 ? nil : scratches[index - 1]
        if let step, let stepPart {
            stepPart(step, input, output, arena, scratch, Int32(index), Int32(parts), barrier, context)
        } else {
            part(input, output, arena, scratch, Int32(index), Int32(parts), barrier, context)
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
        WorkerPool.spin { barrierRound.load(ordering: .acquiring) == round }
    }
}
