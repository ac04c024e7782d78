/// One step of a compiled network (a layer, or layers fused into one generated function).
public struct NetworkStep: Sendable {
    /// `c1 + tanh1`.
    public var layers: String
    /// How it computes: `pad + direct conv 3×3`, `im2col+GEMM 3×3`, `dense`.
    public var strategy: String
    /// Floating-point operations of one run: two per multiply-accumulate of its layers.
    public var flops: Int

    public init(layers: String, strategy: String, flops: Int) {
        self.layers = layers
        self.strategy = strategy
        self.flops = flops
    }
}

/// Runs one step of the compiled network alone (the core's `NAME_run_step`), as one part of a call
/// on several threads with `predict_part`'s arguments after the step's index.
public typealias NetworkStepFunction = @convention(c) (
    Int32, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int32, Int32,
    (@convention(c) (UnsafeMutableRawPointer?) -> Void)?, UnsafeMutableRawPointer?
) -> Void
/// `iterations` rounds of 192 FLOP of independent multiply-adds, compiled with the kernels' flags.
public typealias PeakProbeFunction = @convention(c) (Int32) -> Float

/// Where one call's time goes, as `--profile` prints it: each step's median time, its share, its
/// GFLOP/s and the fraction of the processor's multiply-add peak that is, measured in the same run.
public struct NetworkProfile: Sendable {
    public struct Step: Sendable {
        public var step: NetworkStep
        public var medianNanoseconds: Double
    }

    public var steps: [Step]
    /// Timed calls (each step timed in every one).
    public var runs: Int
    /// The threads each step ran on.
    public var threads: Int
    /// The probe's best GFLOP/s: what the kernels' multiply-adds reach on this processor, one thread.
    public var peakGFLOPS: Double

    /// The sum of the steps' medians: what the shares divide.
    public var totalNanoseconds: Double { steps.reduce(0) { $0 + $1.medianNanoseconds } }
    public var totalFLOPs: Int { steps.reduce(0) { $0 + $1.step.flops } }

    static let probeIterations: Int32 = 200_000

    /// Times every step of `runs` calls (after ten untimed ones) on pseudo-random input, and the peak
    /// probe; `runStep(index, input, output)` runs one step on `threads` threads.
    public static func measure(steps: [NetworkStep], runs: Int, threads: Int, inputCount: Int, outputCount: Int, peakProbe: PeakProbeFunction,
                               runStep: (Int32, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> NetworkProfile {
        let input = Benchmark.pseudoRandomInputs(count: inputCount)
        var output = [Float](repeating: 0, count: outputCount)
        var times = [[Double]](repeating: [], count: steps.count)
        input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                for run in 0..<(10 + max(runs, 1)) {
                    for index in steps.indices {
                        let start = monotonicNanoseconds()
                        runStep(Int32(index), input.baseAddress!, output.baseAddress!)
                        if run >= 10 { times[index].append(Double(monotonicNanoseconds() - start)) }
                    }
                }
            }
        }
        return NetworkProfile(
            steps: zip(steps, times).map { Step(step: $0, medianNanoseconds: Benchmark.median($1.sorted())) },
            runs: max(runs, 1), threads: max(threads, 1), peakGFLOPS: peakGFLOPS(peakProbe))
    }

    /// The best of five probe runs of about 1–2 ms each, in GFLOP/s.
    public static func peakGFLOPS(_ peakProbe: PeakProbeFunction) -> Double {
        var peak = 0.0
        for _ in 0..<5 {
            let start = monotonicNanoseconds()
            let sum = peakProbe(probeIterations)
            let nanoseconds = Double(max(monotonicNanoseconds() - start, 1))
            if sum.isFinite { peak = max(peak, Double(probeIterations) * 192 / nanoseconds) }
        }
        return peak
    }

    private func gflops(_ flops: Int, _ nanoseconds: Double) -> Double { Double(flops) / max(nanoseconds, 1) }

    /// The readable table: one row per step and a total row; the shares add up to 100 %.
    public var text: String {
        var rows: [[String]] = [["#", "layers", "strategy", "time µs", "share", "GFLOP/s", "% peak"]]
        func figures(_ flops: Int, _ nanoseconds: Double) -> [String] {
            guard flops > 0 else { return ["–", "–"] }
            let rate = gflops(flops, nanoseconds)
            return [fixed(rate, decimals: 1), peakGFLOPS > 0 ? fixed(100 * rate / (peakGFLOPS * Double(threads)), decimals: 0) : "–"]
        }
        let total = totalNanoseconds
        for (index, entry) in steps.enumerated() {
            // Long fused names are cut (the JSON form has them whole), so the table stays readable.
            let layers = entry.step.layers.count > 48 ? String(entry.step.layers.prefix(47)) + "…" : entry.step.layers
            rows.append([String(index + 1), layers, entry.step.strategy, fixed(entry.medianNanoseconds / 1000, decimals: 2),
                         fixed(100 * entry.medianNanoseconds / max(total, 1), decimals: 1) + " %"] + figures(entry.step.flops, entry.medianNanoseconds))
        }
        rows.append(["", "total", "", fixed(total / 1000, decimals: 2), "100.0 %"] + figures(totalFLOPs, total))
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max()! }
        let rightAligned: Set<Int> = [0, 3, 4, 5, 6]
        func line(_ row: [String]) -> String {
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? padding + cell : cell + padding
            }.joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1)) + "\n"
        return (threads == 1
            ? "median of \(runs) runs per step, one thread; peak \(fixed(peakGFLOPS, decimals: 1)) GFLOP/s "
                + "(the kernels' multiply-add measured on this processor)\n"
            : "median of \(runs) runs per step, \(threads) threads; peak \(fixed(peakGFLOPS, decimals: 1)) GFLOP/s per thread "
                + "(the kernels' multiply-add measured on this processor), so % peak is of \(threads) × that\n")
            // Words, not `String.contains(_:)` with a string: that one comes from _StringProcessing, which
            // alone linked the regex engine into every inferencer (1.5 MB of lenet5's 9.1 MB binary).
            + (steps.contains { $0.step.strategy.split(separator: " ").contains("Winograd") }
                ? "Winograd steps are rated by a direct convolution's FLOPs: they multiply 4/9 as often, so they can pass the peak\n" : "")
            + "\n"
            + line(rows[0]) + rule + rows.dropFirst().dropLast().map(line).joined() + rule + line(rows.last!)
    }

    /// The same as JSON; keys in a fixed order.
    public var json: String {
        let entries = steps.map { entry in
            "    {\"layers\": \(JSONText.string(entry.step.layers)), \"strategy\": \(JSONText.string(entry.step.strategy)), "
                + "\"time_us_median\": \(JSONText.number(rounded(entry.medianNanoseconds / 1000, decimals: 3))), "
                + "\"share\": \(JSONText.number(rounded(entry.medianNanoseconds / max(totalNanoseconds, 1), decimals: 5))), "
                + "\"flops\": \(entry.step.flops), \"gflops\": \(JSONText.number(rounded(gflops(entry.step.flops, entry.medianNanoseconds), decimals: 2)))}"
        }
        return """
            {
              "runs": \(runs),
              "threads": \(threads),
              "peak_gflops": \(JSONText.number(rounded(peakGFLOPS, decimals: 2))),
              "total_us": \(JSONText.number(rounded(totalNanoseconds / 1000, decimals: 3))),
              "total_flops": \(totalFLOPs),
              "steps": [
            \(entries.joined(separator: ",\n"))
              ]
            }

            """
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
