/// One network instance that maps ONE input sample to ONE output sample. An instance owns its scratch
/// buffers, so it is used by one thread at a time; threads get instances of their own.
public protocol Predictor: AnyObject {
    /// Reads `inputShape.count` floats from `input`, writes `outputShape.count` floats to `output`.
    func predict(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>)
    /// The threads each sample runs on.
    var threads: Int { get }
}

extension Predictor {
    public var threads: Int { 1 }
}

/// Makes a predictor that runs each sample on up to the given number of threads.
public typealias PredictorFactory = @Sendable (_ threads: Int) -> any Predictor

/// Runs batches through predictors, one per thread: the batch is cut into contiguous chunks, chunk k
/// handled by predictor k on part k of a `WorkerPool` (threads started with the first batch and kept
/// for later ones). With fewer samples than threads, each sample runs on several (`threads / count`
/// each). Predictors are made on first need by `makePredictor` and kept for later batches.
///
/// One batch at a time: `predict` must not be called concurrently on the same instance.
public final class BatchPredictor: @unchecked Sendable {
    public let inputCount: Int
    public let outputCount: Int
    public let threads: Int
    private let makePredictor: PredictorFactory
    private var predictors: [any Predictor] = []
    private var threadsPerSample = 1
    /// The pool for batches cut into `pool.chunks` chunks; remade when a batch is cut differently.
    private var pool: (chunks: Int, workers: WorkerPool)?

    /// `inputCount`/`outputCount`: floats per sample. `threads`: the most threads a batch uses.
    public init(inputCount: Int, outputCount: Int, threads: Int, makePredictor: @escaping PredictorFactory) {
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.threads = max(threads, 1)
        self.makePredictor = makePredictor
    }

    /// Predicts `count` consecutive samples from `input` into `output`.
    public func predict(_ input: UnsafePointer<Float>, count: Int, _ output: UnsafeMutablePointer<Float>) {
        guard count > 0 else { return }
        let chunks = min(threads, count)
        let perSample = threads / chunks
        if perSample != threadsPerSample {
            predictors = []
            threadsPerSample = perSample
        }
        if chunks > 1 && pool?.chunks != chunks { pool = (chunks, WorkerPool(threads: chunks)) }
        // Fewer parts than chunks only where the system refused threads.
        let parts = chunks > 1 ? pool?.workers.parts ?? 1 : 1
        while predictors.count < parts { predictors.append(makePredictor(perSample)) }
        // Each part touches only its own predictor and its own slices of the buffers.
        let shared = UncheckedSendable((predictors, input, output))
        let inputCount = self.inputCount, outputCount = self.outputCount
        let runPart: @Sendable (Int) -> Void = { part in
            let (predictors, input, output) = shared.value
            let predictor = predictors[part]
            // part · count cannot overflow for any count a batch can have in memory.
            for sample in (part * count / parts)..<((part + 1) * count / parts) {
                predictor.predict(input + sample * inputCount, output + sample * outputCount)
            }
        }
        if parts > 1, let pool { pool.workers.run(runPart) } else { runPart(0) }
    }

    /// `predict` in the shape `RunRequest.perform` takes.
    public var batchFunction: (UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void {
        { input, count, output in self.predict(input, count: count, output) }
    }
}

/// Carries a value the compiler cannot prove thread-safe across a thread boundary where the code
/// guarantees exclusive use.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
