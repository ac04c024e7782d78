/// Places the plan's buffers in one arena, in the spirit of TensorFlow Lite Micro's greedy planner:
/// every buffer is (size, first step, last step); the largest goes first, each at the lowest offset
/// where it overlaps no placed buffer that is alive at the same time.
enum MemoryPlanner {
    /// Offsets are multiples of 16 floats (64 bytes), so every buffer starts on a cache line.
    static let alignment = 16

    static func rounded(_ floats: Int) -> Int {
        (floats + alignment - 1) / alignment * alignment
    }

    /// Fills in every buffer's offset and returns the arena size in floats.
    static func place(_ buffers: inout [ExecutionPlan.Buffer]) -> Int {
        let order = buffers.indices.sorted { a, b in
            let (x, y) = (buffers[a], buffers[b])
            if x.floats != y.floats { return x.floats > y.floats }
            if x.firstStep != y.firstStep { return x.firstStep < y.firstStep }
            return a < b
        }
        // The placed buffers alive at each step: a buffer's neighbours are found through its own steps,
        // so a network of short-lived buffers is placed in time proportional to its size.
        var placedAt: [Int: [Int]] = [:]
        var arena = 0
        for index in order {
            let size = rounded(buffers[index].floats)
            var seen: Set<Int> = []
            var neighbours: [(start: Int, end: Int)] = []
            for step in buffers[index].firstStep...buffers[index].lastStep {
                for other in placedAt[step, default: []] where seen.insert(other).inserted {
                    neighbours.append((buffers[other].offset, buffers[other].offset + rounded(buffers[other].floats)))
                }
            }
            neighbours.sort { $0.start < $1.start }
            // Candidate offsets: 0 and the end of every live neighbour, lowest first.
            var offset = 0
            for neighbour in neighbours {
                if offset + size <= neighbour.start { break }
                offset = max(offset, neighbour.end)
            }
            buffers[index].offset = offset
            for step in buffers[index].firstStep...buffers[index].lastStep { placedAt[step, default: []].append(index) }
            arena = max(arena, offset + size)
        }
        return arena
    }

    /// The most floats alive at any one step: no placement of these buffers can use less.
    static func lowerBound(_ buffers: [ExecutionPlan.Buffer], steps: Int) -> Int {
        // A sweep over the steps: each buffer adds its size where it starts and removes it after it ends.
        var change = [Int](repeating: 0, count: max(1, steps) + 1)
        for buffer in buffers {
            change[buffer.firstStep] += rounded(buffer.floats)
            change[buffer.lastStep + 1] -= rounded(buffer.floats)
        }
        var alive = 0, most = 0
        for delta in change {
            alive += delta
            most = max(most, alive)
        }
        return most
    }

    /// Pairs of buffers alive at the same step whose ranges overlap; empty for a correct placement.
    static func overlaps(_ buffers: [ExecutionPlan.Buffer]) -> [(Int, Int)] {
        var found: [(Int, Int)] = []
        for a in buffers.indices {
            for b in buffers.indices where a < b && buffers[a].isAlive(during: buffers[b]) {
                let (x, y) = (buffers[a], buffers[b])
                if x.offset < y.offset + y.floats && y.offset < x.offset + x.floats { found.append((a, b)) }
            }
        }
        return found
    }
}

extension ExecutionPlan.Buffer {
    func isAlive(during other: ExecutionPlan.Buffer) -> Bool {
        firstStep <= other.lastStep && other.firstStep <= lastStep
    }
}
