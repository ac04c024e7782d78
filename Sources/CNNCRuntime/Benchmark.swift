/// Latency and throughput of a predictor, as `--bench` reports them.
public struct BenchmarkResult: Hashable, Sendable {
    public var latencyMedianMicroseconds: Double
    public var latencyP90Microseconds: Double
    /// Timed single-sample runs.
    public var runs: Int
    /// Threads each single sample ran on.
    public var latencyThreads: Int
    public var throughputPerSecond: Double
    public var threads: Int
    /// Samples per batch in the throughput measurement.
    public var batch: Int
    /// The rate of arithmetic at batch 1, against the processor's multiply-add peak measured in the same run.
    public var compute: Compute?

    public struct Compute: Hashable, Sendable {
        public var flopsPerInference: Int
        public var peakGFLOPS: Double
    }

    /// GFLOP/s of one call at the median latency.
    public var gflops: Double? { compute.map { Double($0.flopsPerInference) / max(latencyMedianMicroseconds, 1e-3) / 1000 } }

    /// The `--bench --json` object; keys in a fixed order.
    public var json: String {
        """
        {
          "latency_us_median": \(JSONText.number(rounded(latencyMedianMicroseconds, decimals: 3))),
          "latency_us_p90": \(JSONText.number(rounded(latencyP90Microseconds, decimals: 3))),
          "runs": \(runs),
          "latency_threads": \(latencyThreads),
          "throughput_per_s": \(JSONText.number(rounded(throughputPerSecond, decimals: 1))),
          "threads": \(threads),
          "batch": \(batch)\(computeJSON)
        }

        """
    }

    private var computeText: String {
        guard let compute, let gflops, compute.peakGFLOPS > 0 else { return "" }
        return "compute (batch 1): \(fixed(gflops, decimals: 1)) GFLOP/s, \(fixed(100 * gflops / compute.peakGFLOPS, decimals: 0)) % of the "
            + "\(fixed(compute.peakGFLOPS, decimals: 1)) GFLOP/s multiply-add peak measured on this processor (--profile: per step)\n"
    }

    private var computeJSON: String {
        guard let compute, let gflops else { return "" }
        return """
            ,
              "flops_per_inference": \(compute.flopsPerInference),
              "gflops": \(JSONText.number(rounded(gflops, decimals: 2))),
              "peak_gflops": \(JSONText.number(rounded(compute.peakGFLOPS, decimals: 2)))
            """
    }

    /// The readable `--bench` block.
    public var text: String {
        func threadWord(_ count: Int) -> String { count == 1 ? "thread" : "threads" }
        // Enough decimals to show a sub-microsecond latency.
        func microseconds(_ x: Double) -> String { fixed(x, decimals: x < 10 ? 3 : x < 100 ? 2 : 1) }
        return """
            latency (batch 1, \(latencyThreads) \(threadWord(latencyThreads)), \(runs) runs): median \(microseconds(latencyMedianMicroseconds)) µs, p90 \(microseconds(latencyP90Microseconds)) µs
            throughput (batch \(batch), \(threads) \(threadWord(threads))): \(fixed(throughputPerSecond, decimals: 1)) inferences/s

            """ + computeText
    }
}

/// Measures single-sample latency (each sample on up to `threads` threads) and batch throughput over
/// `threads` threads (one sample per thread).
public enum Benchmark {
    public static let throughputBatch = 64
    static let warmUpRuns = 50
    static let warmUpNanoseconds: UInt64 = 200_000_000
    static let throughputNanoseconds: UInt64 = 500_000_000

    /// - Parameters:
    ///   - samples: consecutive input samples to cycle through; empty means deterministic
    ///     pseudo-random inputs in [0, 1).
    ///   - runs: timed single-sample runs (after a warm-up of 50 runs or 0.2 s, whichever ends first).
    ///   - threads: threads for each single sample, and for the throughput batch of 64, repeated for at
    ///     least 0.5 s.
    public static func run(
        inputShape: FeatureShape, outputShape: FeatureShape, samples: [Float], runs: Int, threads: Int,
        makePredictor: @escaping PredictorFactory
    ) -> BenchmarkResult {
        let inputCount = inputShape.count, outputCount = outputShape.count
        let batch = throughputBatch
        // The throughput batch, filled by cycling through the samples.
        let source = samples.count >= inputCount ? samples : pseudoRandomInputs(count: batch * inputCount)
        let sampleCount = source.count / inputCount
        var batchInputs = [Float](repeating: 0, count: batch * inputCount)
        for sample in 0..<batch {
            let from = (sample % sampleCount) * inputCount
            batchInputs.replaceSubrange(sample * inputCount..<(sample + 1) * inputCount, with: source[from..<from + inputCount])
        }
        var batchOutputs = [Float](repeating: 0, count: batch * outputCount)

        // Latency: one predictor, one sample at a time.
        let predictor = makePredictor(max(threads, 1))
        var latencies = [Double](repeating: 0, count: max(runs, 1))
        batchInputs.withUnsafeBufferPointer { input in
            batchOutputs.withUnsafeMutableBufferPointer { output in
                let start = monotonicNanoseconds()
                var warmUp = 0
                while warmUp < warmUpRuns && (warmUp == 0 || monotonicNanoseconds() - start < warmUpNanoseconds) {
                    predictor.predict(input.baseAddress! + (warmUp % batch) * inputCount, output.baseAddress!)
                    warmUp += 1
                }
                for run in 0..<latencies.count {
                    let sample = run % batch
                    let before = monotonicNanoseconds()
                    predictor.predict(input.baseAddress! + sample * inputCount, output.baseAddress! + sample * outputCount)
                    latencies[run] = Double(monotonicNanoseconds() - before) / 1000
                }
            }
        }
        latencies.sort()

        // Throughput: the batch split over the threads, repeated for a while.
        let batchPredictor = BatchPredictor(
            inputCount: inputCount, outputCount: outputCount, threads: threads, makePredictor: makePredictor)
        var elapsed: UInt64 = 0
        var batches = 0
        batchInputs.withUnsafeBufferPointer { input in
            batchOutputs.withUnsafeMutableBufferPointer { output in
                batchPredictor.predict(input.baseAddress!, count: batch, output.baseAddress!)  // warm-up
                let start = monotonicNanoseconds()
                repeat {
                    batchPredictor.predict(input.baseAddress!, count: batch, output.baseAddress!)
                    batches += 1
                    elapsed = monotonicNanoseconds() - start
                } while elapsed < throughputNanoseconds
            }
        }

        return BenchmarkResult(
            latencyMedianMicroseconds: median(latencies),
            latencyP90Microseconds: latencies[max(Int((0.9 * Double(latencies.count)).rounded(.up)) - 1, 0)],
            runs: latencies.count,
            latencyThreads: predictor.threads,
            throughputPerSecond: Double(batches * batch) / (Double(max(elapsed, 1)) / 1e9),
            threads: min(max(threads, 1), batch),
            batch: batch)
    }

    /// Deterministic values in [0, 1) (SplitMix64), the same on every run and platform.
    public static func pseudoRandomInputs(count: Int) -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Float(z >> 40) * 0x1p-24
        }
    }

    static func median(_ sorted: [Double]) -> Double {
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// `x` rounded to `decimals` places, for stable short JSON numbers.
func rounded(_ x: Double, decimals: Int) -> Double {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    return (x * scale).rounded() / scale
}

/// `x` with exactly `decimals` digits after the point (Foundation's `%.Nf` without Foundation).
func fixed(_ x: Double, decimals: Int) -> String {
    guard x.isFinite else { return x.description }
    var scale: UInt64 = 1
    for _ in 0..<decimals { scale *= 10 }
    let magnitude = (abs(x) * Double(scale)).rounded()
    guard magnitude < 9e18 else { return x.description }
    let units = UInt64(magnitude)
    let fraction = String(units % scale)
    let sign = x < 0 && units != 0 ? "-" : ""
    if decimals == 0 { return sign + String(units) }
    return sign + String(units / scale) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
}
