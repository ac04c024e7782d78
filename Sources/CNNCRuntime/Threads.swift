#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// Calls `body(i)` once for every i in 0..<count, spread over up to `threads` threads (the calling
/// thread is one of them). Returns when all calls are done.
public func parallelFor(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    parallelChunks(count, threads: threads) { _, range in
        for index in range { body(index) }
    }
}

/// Splits 0..<count into at most `threads` contiguous chunks of nearly equal size and calls
/// `body(chunkNumber, range)` for each, chunk k on its own thread (chunk 0 on the calling thread).
/// Chunk numbers run from 0, so a caller can keep per-thread state (such as a predictor) in an
/// array indexed by chunk.
public func parallelChunks(_ count: Int, threads: Int, _ body: @Sendable (_ chunk: Int, _ range: Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = min(max(threads, 1), count)
    func range(_ chunk: Int) -> Range<Int> {
        // chunk · count cannot overflow for any count a batch can have in memory.
        (chunk * count / chunks)..<((chunk + 1) * count / chunks)
    }
    if chunks == 1 {
        body(0, 0..<count)
        return
    }
    withoutActuallyEscaping(body) { body in
        var started: [pthread_t] = []
        started.reserveCapacity(chunks - 1)
        for chunk in 1..<chunks {
            let chunkRange = range(chunk)
            if let thread = startThread({ body(chunk, chunkRange) }) {
                started.append(thread)
            } else {
                // No thread to be had: do the work here rather than fail.
                body(chunk, chunkRange)
            }
        }
        body(0, range(0))
        for thread in started {
            pthread_join(thread, nil)
        }
    }
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
