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
        var placed: [Int] = []
        var arena = 0
        for index in order {
            let size = rounded(buffers[index].floats)
            // Candidate offsets: 0 and the end of every live neighbour, lowest first.
            let neighbours = placed.filter { buffers[$0].isAlive(during: buffers[index]) }
                .map { (start: buffers[$0].offset, end: buffers[$0].offset + rounded(buffers[$0].floats)) }
                .sorted { $0.start < $1.start }
            var offset = 0
            for neighbour in neighbours {
                if offset + size <= neighbour.start { break }
                offset = max(offset, neighbour.end)
            }
            buffers[index].offset = offset
            placed.append(index)
            arena = max(arena, offset + size)
        }
        return arena
    }

    /// The most floats alive at any one step: no placement of these buffers can use less.
    static func lowerBound(_ buffers: [ExecutionPlan.Buffer], steps: Int) -> Int {
        (0..<max(1, steps)).map { step in
            buffers.filter { $0.firstStep <= step && step <= $0.lastStep }.reduce(0) { $0 + rounded($1.floats) }
        }.max() ?? 0
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
