/// Which share of a kernel's work one thread does when several threads run one sample: part `part`
/// of `parts`. A kernel that splits gives each part a contiguous range of its outer units (rows,
/// channel blocks, pixel blocks); every output is computed by exactly one part, in the same order
/// of summation as on one thread, so results do not depend on the number of parts.
package struct WorkShare: Sendable {
    package var part: Int
    package var parts: Int

    package init(part: Int, parts: Int) {
        self.part = part
        self.parts = parts
    }

    /// All of the work, on one thread.
    package static var whole: WorkShare { WorkShare(part: 0, parts: 1) }

    /// This part's slice of `0..<count`: nearly equal slices whose boundaries are multiples of
    /// `granule` (the last one ends at `count`).
    @inline(__always)
    package func range(_ count: Int, granule: Int = 1) -> Range<Int> {
        if parts == 1 { return 0..<count }
        let units = (count + granule - 1) / granule
        let lower = part * units / parts * granule
        let upper = (part + 1) * units / parts * granule
        return min(lower, count)..<min(upper, count)
    }
}

/// What waits for every part at a barrier: a C function and its context, supplied by the host's
/// thread pool, so the kernels themselves start no thread and import no system module.
package typealias BarrierFunction = @convention(c) (UnsafeMutableRawPointer?) -> Void

/// One thread's part of a call of the generated network. Steps whose kernels split call them with
/// `share`, with a barrier before (once the data they read is complete) and after; all other
/// kernels run on part 0 alone while the other parts wait at the next barrier.
package struct CallPart {
    package var share: WorkShare
    /// Scratch for this part's gathered GEMM columns; part 0 uses the arena's.
    package var scratch: UnsafeMutablePointer<Float>?
    package var barrier: BarrierFunction?
    package var barrierContext: UnsafeMutableRawPointer?

    package init(share: WorkShare, scratch: UnsafeMutablePointer<Float>?, barrier: BarrierFunction?, barrierContext: UnsafeMutableRawPointer?) {
        self.share = share
        self.scratch = scratch
        self.barrier = barrier
        self.barrierContext = barrierContext
    }

    /// The whole call on the calling thread.
    package static var alone: CallPart { CallPart(share: .whole, scratch: nil, barrier: nil, barrierContext: nil) }

    /// Part 0 runs the kernels that do not split.
    @inline(__always)
    package var isLead: Bool { share.part == 0 }

    /// Returns once every part has reached this point; at once when the call runs alone.
    @inline(__always)
    package func synchronize() {
        if share.parts > 1, let barrier { barrier(barrierContext) }
    }

    /// The scratch a splitting GEMM of this part uses: the arena's on part 0, its own elsewhere.
    @inline(__always)
    package func scratch(arena: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float> {
        share.part == 0 ? arena : scratch ?? arena
    }

    /// The same past the first `floats` of this part's own scratch, which its copy of a padded input
    /// takes (`ExecutionPlan.paddedCopyPerPart`); the arena's on part 0.
    @inline(__always)
    package func scratch(arena: UnsafeMutablePointer<Float>, past floats: Int) -> UnsafeMutablePointer<Float> {
        share.part == 0 ? arena : scratch.map { $0 + floats } ?? arena
    }
}
