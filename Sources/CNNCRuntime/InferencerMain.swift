#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything a generated inferencer knows about its network.
public struct InferencerModel: Sendable {
    public var name: String
    public var inputShape: FeatureShape
    public var outputShape: FeatureShape
    public var preprocess: Preprocess
    public var labels: [String]?
    /// Printed by `--info`: the layer table, parameter counts and so on.
    public var summary: String
    /// Printed by `--info` in this order: spec file, SHA-256s, cnnc version, build flags…
    public var provenance: [(key: String, value: String)]
    /// Called once per batch thread (with 1), or for single samples on several threads (with their number); each predictor owns its scratch buffers.
    public var makePredictor: PredictorFactory
    /// `--profile`: times each step over the given number of calls, each on the given number of threads.
    public var profile: (@Sendable (_ runs: Int, _ threads: Int) -> NetworkProfile)?
    /// For `--bench`: the FLOPs of one call and the processor's multiply-add peak, measured when asked.
    public var flopsPerInference: Int?
    public var measurePeakGFLOPS: (@Sendable () -> Double)?

    public init(
        name: String, inputShape: FeatureShape, outputShape: FeatureShape, preprocess: Preprocess = .identity,
        labels: [String]? = nil, summary: String = "", provenance: [(key: String, value: String)] = [],
        makePredictor: @escaping PredictorFactory, profile: (@Sendable (_ runs: Int, _ threads: Int) -> NetworkProfile)? = nil,
        flopsPerInference: Int? = nil, measurePeakGFLOPS: (@Sendable () -> Double)? = nil
    ) {
        self.name = name
        self.inputShape = inputShape
        self.outputShape = outputShape
        self.preprocess = preprocess
        self.labels = labels
        self.summary = summary
        self.provenance = provenance
        self.makePredictor = makePredictor
        self.profile = profile
        self.flopsPerInference = flopsPerInference
        self.measurePeakGFLOPS = measurePeakGFLOPS
    }

    public var interface: NetworkInterface {
        NetworkInterface(inputShape: inputShape, outputShape: outputShape, preprocess: preprocess, labels: labels)
    }
}

/// What a run of the inferencer printed and its exit status.
public struct InferencerOutcome: Hashable, Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// The command line of a generated inferencer. Exit status: 0 success, 1 runtime error (bad input
/// file, write failure), 2 bad command line.
public enum InferencerMain {
    public static let success: Int32 = 0
    public static let runtimeFailure: Int32 = 1
    public static let usageFailure: Int32 = 2

    /// Parses `arguments` (the program name first), does the work, prints, and returns the exit status.
    public static func run(arguments: [String], model: InferencerModel) -> Int32 {
        let outcome = execute(arguments: arguments, model: model)
        writeAll(1, outcome.standardOutput)
        writeAll(2, outcome.standardError)
        return outcome.status
    }

    /// The whole program: runs with the process's arguments and exits with the status, so a
    /// generated `main.swift` is one line and needs no C library import.
    public static func main(model: InferencerModel) -> Never {
        exit(run(arguments: CommandLine.arguments, model: model))
    }

    /// `run` without printing: the text for standard output and standard error, and the status.
    public static func execute(arguments: [String], model: InferencerModel) -> InferencerOutcome {
        let program = arguments.first.map { splitPath($0).fileName } ?? model.name
        let options: InferencerOptions
        do {
            options = try InferencerOptions.parse(arguments.dropFirst())
        } catch {
            return InferencerOutcome(status: usageFailure, standardOutput: "",
                                     standardError: "\(program): \(error.message); see --help\n")
        }
        if options.help {
            return InferencerOutcome(status: success, standardOutput: help(program: program, model: model), standardError: "")
        }
        if options.version {
            return InferencerOutcome(status: success,
                standardOutput: "\(program): network \(model.name), CNNCRuntime \(CNNCRuntimeVersion.string)\n",
                standardError: "")
        }
        if options.info {
            return InferencerOutcome(status: success, standardOutput: info(model: model), standardError: "")
        }
        if let problem = options.conflict {
            return InferencerOutcome(status: usageFailure, standardOutput: "",
                                     standardError: "\(program): \(problem); see --help\n")
        }
        let threads = options.threads ?? availableCores()
        if options.profile {
            guard let profile = model.profile else {
                return InferencerOutcome(status: usageFailure, standardOutput: "", standardError: "\(program): this inferencer has no profiler\n")
            }
            // One thread unless asked: the per-core figures users compare kernels by.
            let result = profile(options.runs ?? 200, options.threads ?? 1)
            let text = options.json ? result.json : "\(model.name): input \(model.inputShape), output \(model.outputShape)\n" + result.text
            return InferencerOutcome(status: success, standardOutput: text, standardError: "")
        }
        do {
            if options.bench {
                var samples: [Float] = []
                if !options.inputs.isEmpty {
                    samples = try InputFile.read(paths: options.inputs, shape: model.inputShape, preprocess: model.preprocess).values
                }
                var result = Benchmark.run(
                    inputShape: model.inputShape, outputShape: model.outputShape, samples: samples,
                    runs: options.runs ?? 1000, threads: threads, makePredictor: model.makePredictor)
                if let flops = model.flopsPerInference, let measurePeak = model.measurePeakGFLOPS {
                    result.compute = BenchmarkResult.Compute(flopsPerInference: flops, peakGFLOPS: measurePeak())
                }
                let text = options.json
                    ? result.json
                    : "\(model.name): input \(model.inputShape), output \(model.outputShape)\n" + result.text
                return InferencerOutcome(status: success, standardOutput: text, standardError: "")
            }
            let request = RunRequest(
                inputs: options.inputs, output: options.output, format: options.format,
                top: options.top ?? ResultPresentation.defaultTop)
            let predictor = BatchPredictor(
                inputCount: model.inputShape.count, outputCount: model.outputShape.count, threads: threads,
                makePredictor: model.makePredictor)
            let text = try request.perform(network: model.interface, predict: predictor.batchFunction)
            return InferencerOutcome(status: success, standardOutput: text, standardError: "")
        } catch {
            return InferencerOutcome(status: runtimeFailure, standardOutput: "",
                                     standardError: "\(program): \(error.message)\n")
        }
    }

    static func help(program: String, model: InferencerModel) -> String {
        let output = model.outputShape.isVector ? "\(model.outputShape.channels) values" : "\(model.outputShape)"
        return """
            USAGE: \(program) --input FILE... [-o FILE] [--format FORMAT] [--top K] [--threads N]
                   \(program) --bench [--input FILE...] [-n N] [--threads N] [--json]
                   \(program) --profile [-n N] [--threads N] [--json]
                   \(program) --info | --version | --help

            Runs the network '\(model.name)' (input \(model.inputShape), output \(output)), compiled by cnnc.

            OPTIONS:
              --input FILE...   Input files: .npy ([C,H,W], [N,C,H,W], [H,W] for one channel, [F] or
                                [N,F] for an F×1×1 input; float32, float64 or uint8, used as is),
                                binary .pgm/.ppm/.pnm (P5/P6, 8 or 16 bit,
                                preprocessed), .f32 (raw little-endian float32, one or more samples).
                                Several files, or files of several samples, form one batch.
              -o, --output FILE Write the result to FILE instead of printing JSON: .npy ([N,F] or
                                [N,C,H,W]), .pgm/.ppm (spatial results with 1/3 channels; a batch
                                writes NAME-0.pgm, NAME-1.pgm, …), .f32 or .json.
              --format FORMAT   json, npy, pgm, ppm or f32 (default: from the --output extension, else json).
              --top K           Entries in each JSON "top" list (default 5).
              --threads N       Threads (default: all \(availableCores()) available cores): a batch is split
                                over them, a single sample runs on all of them together.
              --bench           Measure latency (batch 1 on --threads) and throughput (batch 64 split
                                over --threads); uses --input files or pseudo-random inputs.
              --profile         Time each step (layers fused into one kernel call) over -n calls on one
                                thread, or on --threads N as a single sample runs: median time, share,
                                GFLOP/s and % of this processor's multiply-add peak, measured in the
                                same run.
              -n N              Timed runs for --bench latency (default 1000) or --profile (200).
              --json            Print --bench or --profile results as JSON.
              --info            Describe the network and how it was built.
              --version         Print the version.
              -h, --help        Print this help.

            EXAMPLES:
              \(program) --input digit.pgm
              \(program) --input a.npy b.npy --top 3
              \(program) --input batch.npy --output result.npy
              \(program) --bench -n 200 --json
              \(program) --profile

            EXIT STATUS: 0 on success, 1 on a runtime error (unreadable or malformed input, write failure),
            2 on a bad command line.

            """
    }

    static func info(model: InferencerModel) -> String {
        var text = "network: \(model.name)\n"
        text += "input: \(model.inputShape) (C×H×W)\n"
        let preprocess = model.preprocess
        text += "image preprocessing (PGM/PPM only): x' = (x·scale − mean) / std with x in [0, 1], "
            + "scale \(preprocess.scale), mean \(preprocess.mean), std \(preprocess.std)\n"
        text += "output: \(model.outputShape)"
            + (model.outputShape.isVector ? " (a vector of \(model.outputShape.channels) values)\n" : "\n")
        if let labels = model.labels {
            let shown = labels.prefix(10).map { JSONText.string($0) }.joined(separator: ", ")
            text += "labels: \(labels.count) (\(shown)\(labels.count > 10 ? ", …" : ""))\n"
        }
        if !model.summary.isEmpty {
            text += "\n" + model.summary + (model.summary.hasSuffix("\n") ? "" : "\n")
        }
        if !model.provenance.isEmpty {
            text += "\nprovenance:\n"
            let width = model.provenance.map(\.key.count).max() ?? 0
            for (key, value) in model.provenance {
                text += "  \(key):" + String(repeating: " ", count: width - key.count + 1) + value + "\n"
            }
        }
        return text
    }
}

/// Writes text to stdout or stderr through the file descriptor, leaving C's `FILE *` globals alone
/// (Swift 6 rejects them as shared mutable state). A failed write to a closed stream is ignored.
func writeAll(_ fd: Int32, _ text: String) {
    var text = text
    _ = text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
}

struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The parsed command line of an inferencer.
struct InferencerOptions {
    var inputs: [String] = []
    var output: String?
    var format: OutputFormat?
    var top: Int?
    var threads: Int?
    var runs: Int?
    var bench = false
    var profile = false
    var json = false
    var info = false
    var help = false
    var version = false

    static let maximumThreads = 1024

    /// Accepts `--flag value` and `--flag=value`; `--input` takes every following argument up to
    /// the next option; after `--` every argument is an input file.
    static func parse(_ arguments: ArraySlice<String>) throws(UsageError) -> InferencerOptions {
        var options = InferencerOptions()
        var index = arguments.startIndex
        func isOption(_ argument: String) -> Bool { argument.hasPrefix("-") && argument.count > 1 }

        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                options.inputs += arguments[index...]
                break
            }
            var name = argument
            var inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            func value() throws(UsageError) -> String {
                if let inlineValue { return inlineValue }
                // A following option is a missing value, but `--top -3` is a bad value.
                guard index < arguments.endIndex, !arguments[index].hasPrefix("--") else {
                    throw UsageError("\(name) needs a value")
                }
                index += 1
                return arguments[index - 1]
            }
            func integer(in range: ClosedRange<Int>) throws(UsageError) -> Int {
                let text = try value()
                guard let number = Int(text), range.contains(number) else {
                    let upper = range.upperBound == Int.max ? "" : " and at most \(range.upperBound)"
                    throw UsageError("\(name) needs an integer of at least \(range.lowerBound)\(upper), got '\(text)'")
                }
                return number
            }
            func once<T>(_ current: T?, _ new: T) throws(UsageError) -> T {
                if current != nil { throw UsageError("\(name) is given twice") }
                return new
            }
            func noValue() throws(UsageError) {
                if inlineValue != nil { throw UsageError("\(name) takes no value") }
            }

            switch name {
            case "--input":
                var found = 0
                if let inlineValue {
                    options.inputs.append(inlineValue)
                    found += 1
                }
                while index < arguments.endIndex && !isOption(arguments[index]) {
                    options.inputs.append(arguments[index])
                    index += 1
                    found += 1
                }
                if found == 0 { throw UsageError("--input needs at least one FILE") }
            case "--output", "-o":  // -o as `cnnc run` takes it
                options.output = try once(options.output, try value())
            case "--format":
                let text = try value()
                guard let format = OutputFormat(rawValue: text.lowercased()) else {
                    throw UsageError("unknown format '\(text)' for --format (use json, npy, pgm, ppm or f32)")
                }
                options.format = try once(options.format, format)
            case "--top":
                options.top = try once(options.top, try integer(in: 1...Int.max))
            case "--threads":
                options.threads = try once(options.threads, try integer(in: 1...maximumThreads))
            case "-n":
                options.runs = try once(options.runs, try integer(in: 1...100_000_000))
            case "--bench": try noValue(); options.bench = true
            case "--profile": try noValue(); options.profile = true
            case "--json": try noValue(); options.json = true
            case "--info": try noValue(); options.info = true
            case "--help", "-h": try noValue(); options.help = true
            case "--version": try noValue(); options.version = true
            default:
                if isOption(argument) { throw UsageError("unknown option '\(name)'") }
                throw UsageError("unexpected argument '\(argument)' (input files go after --input)")
            }
        }
        return options
    }

    /// Options that do not go together, or a missing input; nil when the combination is fine.
    var conflict: String? {
        if profile {
            if bench { return "--profile and --bench are separate measurements; give one" }
            if !inputs.isEmpty { return "--profile runs on pseudo-random input; --input is not used with it" }
            if output != nil || format != nil || top != nil { return "--profile prints a table (or --json); --output, --format and --top are not used with it" }
            return nil
        }
        if bench {
            if output != nil { return "--output is not used with --bench" }
            if format != nil { return "--format is not used with --bench" }
            if top != nil { return "--top is not used with --bench" }
            return nil
        }
        if json { return "--json goes with --bench or --profile; for JSON results use --format json" }
        if runs != nil { return "-n goes with --bench or --profile" }
        if inputs.isEmpty { return "no input given; use --input FILE (or --bench, --info)" }
        return nil
    }
}
