import CNNCRuntime
import Foundation
import Testing

/// A tiny network: input 1×2×2, output 3 values = (1, 2, 3) × the input's sum.
let sumModel = InferencerModel(
    name: "summer",
    inputShape: FeatureShape(channels: 1, height: 2, width: 2),
    outputShape: FeatureShape(vector: 3),
    preprocess: Preprocess(scale: 1, mean: [0], std: [1]),
    labels: ["one", "two", "three"],
    summary: "layer  output\nsum    3",
    provenance: [(key: "spec", value: "models/summer.yaml"), (key: "spec sha256", value: "abc123")],
    makePredictor: { _ in ScalingSumPredictor(inputCount: 4, outputCount: 3) })

/// Copies its 1×2×2 input: a spatial result.
final class CopyPredictor: Predictor {
    func predict(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        output.update(from: input, count: 4)
    }
}

let copyModel = InferencerModel(
    name: "copier",
    inputShape: FeatureShape(channels: 1, height: 2, width: 2),
    outputShape: FeatureShape(channels: 1, height: 2, width: 2),
    makePredictor: { _ in CopyPredictor() })

func execute(_ arguments: [String], model: InferencerModel = sumModel) -> InferencerOutcome {
    InferencerMain.execute(arguments: ["/usr/local/bin/summer"] + arguments, model: model)
}

@Suite struct InferencerMainTests {
    @Test(arguments: [["--help"], ["-h"], ["--input", "x.npy", "--help"]])
    func helpShowsUsageAndAnExample(arguments: [String]) {
        let outcome = execute(arguments)
        #expect(outcome.status == 0)
        #expect(outcome.standardError == "")
        #expect(outcome.standardOutput.hasPrefix("USAGE: summer --input FILE..."))
        #expect(outcome.standardOutput.contains("EXAMPLES:\n  summer --input digit.pgm"))
        for flag in ["--output", "--format", "--top", "--threads", "--bench", "-n N", "--json", "--info", "--version"] {
            #expect(outcome.standardOutput.contains(flag), "help lacks \(flag)")
        }
    }

    @Test(arguments: [
        (["--bogus"], "unknown option '--bogus'"),
        (["-x"], "unknown option '-x'"),
        (["stray.npy"], "unexpected argument 'stray.npy'"),
        ([], "no input given"),
        (["--input"], "--input needs at least one FILE"),
        (["--input", "--top", "3"], "--input needs at least one FILE"),
        (["--input", "a.npy", "--output"], "--output needs a value"),
        (["--input", "a.npy", "--output", "--top", "3"], "--output needs a value"),
        (["--input", "a.npy", "--top", "0"], "--top needs an integer of at least 1, got '0'"),
        (["--input", "a.npy", "--top", "-3"], "--top needs an integer of at least 1, got '-3'"),
        (["--input", "a.npy", "--top", "many"], "got 'many'"),
        (["--input", "a.npy", "--threads", "0"], "--threads needs an integer of at least 1 and at most 1024"),
        (["--input", "a.npy", "--threads", "99999999999999999999"], "--threads"),
        (["--input", "a.npy", "--format", "bmp"], "unknown format 'bmp'"),
        (["--input", "a.npy", "--output", "a", "--output", "b"], "--output is given twice"),
        (["--input", "a.npy", "--json"], "--json goes with --bench"),
        (["--input", "a.npy", "-n", "5"], "-n goes with --bench"),
        (["--bench", "-n", "0"], "-n needs an integer of at least 1"),
        (["--bench", "--output", "x.npy"], "--output is not used with --bench"),
        (["--bench=yes"], "--bench takes no value"),
    ])
    func badCommandLinesExitWithTwo(arguments: [String], fragment: String) {
        let outcome = execute(arguments)
        #expect(outcome.status == 2)
        #expect(outcome.standardOutput == "")
        #expect(outcome.standardError.hasPrefix("summer: "))
        #expect(outcome.standardError.contains(fragment), "\(outcome.standardError)")
        #expect(outcome.standardError.hasSuffix("; see --help\n"))
        #expect(outcome.standardError.filter { $0 == "\n" }.count == 1)
    }

    @Test func infoDescribesTheNetworkAndItsProvenance() {
        let outcome = execute(["--info"])
        #expect(outcome.status == 0)
        let text = outcome.standardOutput
        #expect(text.hasPrefix("network: summer\n"))
        #expect(text.contains("input: 1×2×2"))
        #expect(text.contains("output: 3×1×1 (a vector of 3 values)"))
        #expect(text.contains("labels: 3 (\"one\", \"two\", \"three\")"))
        #expect(text.contains("layer  output\nsum    3\n"))
        #expect(text.contains("provenance:\n  spec:        models/summer.yaml\n  spec sha256: abc123\n"))
    }

    @Test func versionNamesTheNetworkAndRuntime() {
        let outcome = execute(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput == "summer: network summer, CNNCRuntime \(CNNCRuntimeVersion.string)\n")
        #expect(InferencerMain.run(arguments: ["summer", "--bogus-flag-for-run"], model: sumModel) == 2)
    }

    @Test func benchJSONHasTheDocumentedKeys() throws {
        let outcome = execute(["--bench", "--json", "-n", "20", "--threads", "2"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let object = try #require(try parseJSON(outcome.standardOutput) as? [String: Any])
        #expect(Set(object.keys) == ["latency_us_median", "latency_us_p90", "runs", "latency_threads", "throughput_per_s", "threads", "batch"])
        #expect(object["runs"] as? Int == 20)
        #expect(object["threads"] as? Int == 2)
        #expect(object["batch"] as? Int == 64)
        #expect(object["latency_us_median"] is NSNumber)
        #expect(object["throughput_per_s"] is NSNumber)
    }

    @Test func benchTextWithGivenInputs() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/x.npy"
            try NPY.write(path: path, shape: [2, 1, 2, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
            let outcome = execute(["--bench", "-n", "5", "--threads", "1", "--input", path])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput.contains("latency (batch 1, 1 thread, 5 runs): median "))
            #expect(outcome.standardOutput.contains("throughput (batch 64, 1 thread): "))
            #expect(outcome.standardOutput.contains(" inferences/s\n"))
        }
    }

    @Test func runOnAnNPYInputPrintsTheJSONResult() throws {
        try withTemporaryDirectory { directory in
            let a = directory + "/a.npy", b = directory + "/b.npy"
            try NPY.write(path: a, shape: [1, 2, 2], values: [1, 2, 3, 4])
            try NPY.write(path: b, shape: [2, 1, 2, 2], values: [0, 0, 0, 0.5, -1, -1, -1, -1])
            let outcome = execute(["--input", a, b, "--top", "2", "--threads", "2"])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardError == "")
            let object = try #require(try parseJSON(outcome.standardOutput) as? [String: Any])
            #expect(object["output_shape"] as? [Int] == [3])
            let results = try #require(object["results"] as? [[String: Any]])
            #expect(results.compactMap { $0["input"] as? String } == [a, "\(b)[0]", "\(b)[1]"])
            #expect(results.compactMap { $0["values"] as? [Double] } == [[10, 20, 30], [0.5, 1, 1.5], [-4, -8, -12]])
            #expect(results.compactMap { $0["argmax"] as? Int } == [2, 2, 0])
            #expect(results.compactMap { $0["label"] as? String } == ["three", "three", "one"])
            let top = try #require(results[0]["top"] as? [[String: Any]])
            #expect(top.compactMap { $0["label"] as? String } == ["three", "two"])
        }
    }

    @Test func alternativeSpellingsOfInputs() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/a.npy"
            try NPY.write(path: path, shape: [1, 2, 2], values: [1, 1, 1, 1])
            for arguments in [["--input=\(path)"], ["--input", path, "--input", path], ["--top=1", "--", path]] {
                let outcome = execute(arguments)
                #expect(outcome.status == 0, "\(arguments): \(outcome.standardError)")
                #expect(outcome.standardOutput.contains("\"values\": [4.0, 8.0, 12.0]"))
            }
        }
    }

    @Test func writesOutputFilesAndReportsThem() throws {
        try withTemporaryDirectory { directory in
            let input = directory + "/a.f32"
            try RawFloat32.write(path: input, values: [1, 0, 0, 0, 0, 0, 0, 1])
            let output = directory + "/r.npy"
            let outcome = execute(["--input", input, "--output", output])
            #expect(outcome.status == 0, "\(outcome.standardError)")
            #expect(outcome.standardOutput == "wrote \(output)\n")
            #expect(try NPY.read(path: output) == NPYArray(shape: [2, 3], values: [1, 2, 3, 1, 2, 3]))

            let images = directory + "/copy.pgm"
            let copied = execute(["--input", input, "--output", images], model: copyModel)
            #expect(copied.status == 0, "\(copied.standardError)")
            #expect(copied.standardOutput == "wrote \(directory)/copy-0.pgm\nwrote \(directory)/copy-1.pgm\n")
            #expect(try NetPBM.read(path: directory + "/copy-1.pgm").values == [0, 0, 0, 1])

            // -o, as `cnnc run` spells it.
            let short = directory + "/short.json"
            let spelled = execute(["--input", input, "-o", short])
            #expect(spelled.status == 0 && spelled.standardOutput == "wrote \(short)\n", "\(spelled.standardError)")
        }
    }

    @Test func spatialResultsAskForOutputOrExplicitJSON() throws {
        try withTemporaryDirectory { directory in
            let input = directory + "/a.npy"
            try NPY.write(path: input, shape: [1, 2, 2], values: [1, 2, 3, 4])
            let refused = execute(["--input", input], model: copyModel)
            #expect(refused.status == 1)
            #expect(refused.standardError ==
                "summer: the output is 1×2×2; write it with --output FILE (.npy, .pgm or .ppm) or print it with --format json\n")
            let printed = execute(["--input", input, "--format", "json"], model: copyModel)
            #expect(printed.status == 0)
            #expect(printed.standardOutput.contains("\"output_shape\": [1, 2, 2]"))
            #expect(printed.standardOutput.contains("\"values\": [1.0, 2.0, 3.0, 4.0]"))
        }
    }

    @Test func runtimeErrorsExitWithOneAndNameTheFile() throws {
        try withTemporaryDirectory { directory in
            let missing = directory + "/missing.npy"
            let outcome = execute(["--input", missing])
            #expect(outcome.status == 1)
            #expect(outcome.standardOutput == "")
            #expect(outcome.standardError.hasPrefix("summer: \(missing): cannot open"))
            #expect(outcome.standardError.filter { $0 == "\n" }.count == 1)

            let wrong = directory + "/wrong.npy"
            try NPY.write(path: wrong, shape: [3, 2, 2], values: [Float](repeating: 0, count: 12))
            let mismatch = execute(["--input", wrong])
            #expect(mismatch.status == 1)
            #expect(mismatch.standardError.contains("wrong.npy: expected 1×2×2 float input, found shape [3, 2, 2]"))

            let badOutput = execute(["--input", wrong, "--output", directory + "/r.ppm"])
            #expect(badOutput.status == 1)
            #expect(badOutput.standardError.contains("r.ppm: the output is a vector of 3 values"))
        }
    }
}
