#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// One sample's output, as a generated network's library returns it: the values, the labels when
/// the spec has them, and the classes ranked.
public struct Prediction: Hashable, Sendable {
    /// The network's output (C, H, W order).
    public let values: [Float]
    public let shape: FeatureShape
    /// The spec's `labels:`, one per output value, if it has them.
    public let labels: [String]?
    /// The values themselves when the network ends in softmax (they sum to 1), else nil.
    public var probabilities: [Float]? { isProbability ? values : nil }
    private let isProbability: Bool

    public init(values: [Float], shape: FeatureShape, labels: [String]?, isProbability: Bool) {
        self.values = values
        self.shape = shape
        self.labels = labels
        self.isProbability = isProbability
    }

    /// One ranked output value.
    public struct Ranked: Hashable, Sendable {
        public let index: Int
        /// The label when the spec has labels, else the index as text.
        public let label: String
        public let value: Float
    }

    /// The `k` largest values, largest first (ties: lower index first).
    public func top(_ k: Int) -> [Ranked] {
        ResultPresentation.topIndices(values[...], count: max(0, k)).map { index in
            Ranked(index: index, label: labels?[index] ?? String(index), value: values[index])
        }
    }

    /// The largest value's entry (nil only for an empty output).
    public var best: Ranked? { top(1).first }
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
