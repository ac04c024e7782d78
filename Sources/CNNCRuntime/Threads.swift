#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The number of cores this process may run on: the online processors, further limited by the CPU
/// affinity mask on Linux (`taskset`, container cpusets). At least 1.
public func availableCores() -> Int {
    var cores = max(sysconf(Int32(_SC_NPROCESSORS_ONLN)), 1)
    #if os(Linux)
    // Glibc's Swift module does not export sched_getaffinity; the kernel states the same mask here.
    if let status = try? FileIO.readAll(path: "/proc/self/status"),
       let allowed = affinityCount(procStatus: String(decoding: status, as: UTF8.self)) {
        cores = min(cores, max(allowed, 1))
    }
    #endif
    return cores
}

/// Counts the bits of the `Cpus_allowed:` hex mask (e.g. `ff,ffffffff`) in /proc/self/status text.
func affinityCount(procStatus: String) -> Int? {
    for line in procStatus.split(separator: "\n") where line.hasPrefix("Cpus_allowed:") {
        var count = 0
        for character in line.dropFirst("Cpus_allowed:".count) {
            if character == "," || character == " " || character == "\t" { continue }
            guard let digit = character.hexDigitValue else { return nil }
            count += digit.nonzeroBitCount
        }
        return count
    }
    return nil
}

/// Threads started once and kept until the pool is released, which run each call's parts together,
/// as oneDNN's and ONNX Runtime's pools do: `run(body)` calls `body(part)` for every part, part 0 on
/// the calling thread and the others on the workers, and returns when all are done. Starting threads
/// per call cost more than two threads gain on a small network's batch (seed's batch of 64 on two
/// threads took 1.04–1.11× its one-thread time).
///
/// Workers spin for a short while after a call, so back-to-back calls do not pay for a wake-up,
/// then sleep on a condition variable. One call at a time: the owner must not call `run` from two
/// threads at once.
public final class WorkerPool: @unchecked Sendable {
    private let state = WorkerPoolState()
    private var workers: [pthread_t] = []

    /// Starts `threads − 1` workers (none for 1 or less); fewer if the system refuses threads.
    public init(threads: Int) {
        let callerProcessor = ProcessorPlacement.current()
        for index in 0..<max(threads - 1, 0) {
            // Workers hold the state, not the pool, so that releasing the pool stops them.
            guard let thread = startThread({ [state] in
                ProcessorPlacement.leave(callerProcessor)
                state.workerLoop(part: index + 1)
            }) else { break }
            workers.append(thread)
        }
        state.parts = workers.count + 1
    }

    deinit {
        state.stop()
        for worker in workers { pthread_join(worker, nil) }
    }

    /// The parts a call is split into: the calling thread and the workers that could be started.
    public var parts: Int { state.parts }

    /// Calls `body(part)` for every part in 0..<parts, each on its own thread (part 0 on this one).
    public func run(_ body: @Sendable (_ part: Int) -> Void) {
        guard parts > 1 else { return body(0) }
        withoutActuallyEscaping(body) { body in state.run(body) }
    }

    /// Spins while `condition` holds, yielding the processor every `spinsBeforeYield` spins.
    @inline(__always)
    static func spin(while condition: () -> Bool) {
        var spins = 0
        while condition() {
            spins += 1
            if spins % WorkerPoolState.spinsBeforeYield == 0 { sched_yield() }
        }
    }
}

/// What a pool's caller and its workers share.
private final class WorkerPoolState: @unchecked Sendable {
    var parts = 1
    /// Bumped by each call (and by `stop`); a worker runs its part when it sees a new value.
    private let generation = Atomic<Int>(0)
    private let finishedParts = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// The current call's work; written before `generation` is bumped, read after it is seen.
    private var job: (@Sendable (Int) -> Void)?
    private var sleepLock = pthread_mutex_t()
    private var wakeUp = pthread_cond_t()

    /// Spins of a worker waiting for the next call before it sleeps: some tens of microseconds.
    static let spinsBeforeSleep = 50_000
    /// Spins between yields of the processor, for machines with fewer free cores than threads.
    static let spinsBeforeYield = 256

    init() {
        pthread_mutex_init(&sleepLock, nil)
        pthread_cond_init(&wakeUp, nil)
    }

    deinit {
        pthread_cond_destroy(&wakeUp)
        pthread_mutex_destroy(&sleepLock)
    }

    func run(_ body: @escaping @Sendable (Int) -> Void) {
        job = body
        finishedParts.store(0, ordering: .relaxed)
        wakeWorkers()
        body(0)
        WorkerPool.spin { finishedParts.load(ordering: .acquiring) < parts - 1 }
        job = nil
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        wakeWorkers()
    }

    /// Bumps the generation, so spinning workers see it, and wakes the sleeping ones; under the lock,
    /// so none misses it between checking and going to sleep.
    private func wakeWorkers() {
        pthread_mutex_lock(&sleepLock)
        generation.add(1, ordering: .releasing)
        pthread_cond_broadcast(&wakeUp)
        pthread_mutex_unlock(&sleepLock)
    }

    func workerLoop(part index: Int) {
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
            runJob(part: index)
            finishedParts.add(1, ordering: .releasing)
        }
    }

    /// Its own function, so this worker's reference to the job is gone before it reports the part
    /// finished (`WorkerPool.run` checks that nothing kept its closure).
    @inline(never)
    private func runJob(part index: Int) {
        job?(index)
    }
}

/// Where Linux runs a thread. A new thread starts on its creator's processor, and the scheduler moves
/// one of two spinning threads to an idle processor only after 10–20 ms. Until then they share one,
/// and a worker spinning for its next part holds it for a whole time slice: in a C model of this pool
/// the first calls took 4 ms each. So a worker moves off its creator's processor as it starts, and
/// is then free to move again. The calls are GNU extensions that Glibc's Swift module leaves out, so
/// they are looked up at run time; elsewhere, or where they are missing, nothing moves.
enum ProcessorPlacement {
    /// The processor the calling thread runs on, if the system says.
    static func current() -> Int32? {
        #if os(Linux)
        guard let getCPU = symbol("sched_getcpu", as: GetCPU.self) else { return nil }
        let processor = getCPU()
        return processor >= 0 ? processor : nil
        #else
        return nil
        #endif
    }

    /// Moves the calling thread to another of the processors it may run on than `processor`, if there is one.
    static func leave(_ processor: Int32?) {
        #if os(Linux)
        guard let processor, processor < 1024, let getAffinity = symbol("pthread_getaffinity_np", as: GetAffinity.self),
              let setAffinity = symbol("pthread_setaffinity_np", as: SetAffinity.self) else { return }
        var allowed = cpu_set_t()
        let size = MemoryLayout<cpu_set_t>.size
        guard getAffinity(pthread_self(), size, &allowed) == 0 else { return }
        var others = allowed
        let othersLeft = withUnsafeMutableBytes(of: &others) { bytes in
            bytes[Int(processor) / 8] &= ~(1 << UInt8(processor % 8))
            return bytes.contains { $0 != 0 }
        }
        // Setting the mask moves the thread now; restoring it lets the scheduler move it later.
        guard othersLeft, setAffinity(pthread_self(), size, &others) == 0 else { return }
        _ = setAffinity(pthread_self(), size, &allowed)
        #endif
    }

    #if os(Linux)
    private typealias GetCPU = @convention(c) () -> Int32
    private typealias GetAffinity = @convention(c) (pthread_t, Int, UnsafeMutablePointer<cpu_set_t>) -> Int32
    private typealias SetAffinity = @convention(c) (pthread_t, Int, UnsafePointer<cpu_set_t>) -> Int32

    private static func symbol<Function>(_ name: String, as type: Function.Type) -> Function? {
        // A null handle is glibc's RTLD_DEFAULT: the symbols the process has loaded.
        dlsym(nil, name).map { unsafeBitCast($0, to: type) }
    }
    #endif
}

/// A closure handed to a POSIX thread through its `void *` argument.
private final class ThreadJob {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }
}

/// Starts a thread running `work`, or returns nil if none can be started.
func startThread(_ work: @escaping () -> Void) -> pthread_t? {
    let job = Unmanaged.passRetained(ThreadJob(work))
    guard let thread = startThread(job) else {
        job.release()
        return nil
    }
    return thread
}

/// Starts a thread running `job` (which it releases), or returns nil if none can be started.
private func startThread(_ job: Unmanaged<ThreadJob>) -> pthread_t? {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    // Generated code may keep sizeable arrays on the stack; Darwin's default is only 512 KiB.
    pthread_attr_setstacksize(&attributes, 8 << 20)
    #if canImport(Darwin)
    var thread: pthread_t?
    let status = pthread_create(&thread, &attributes, { argument in
        Unmanaged<ThreadJob>.fromOpaque(argument).takeRetainedValue().work()
        return nil
    }, job.toOpaque())
    return status == 0 ? thread : nil
    #else
    var thread = pthread_t()
    let status = pthread_create(&thread, &attributes, { argument in
        Unmanaged<ThreadJob>.fromOpaque(argument!).takeRetainedValue().work()
        return nil
    }, job.toOpaque())
    return status == 0 ? thread : nil
    #endif
}
