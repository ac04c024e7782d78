import ArgumentParser
import CNNCCore

/// A checked spec with the source file its diagnostics quote.
struct LoadedSpec {
    var pipeline: SpecPipeline
    var network: CheckedNetwork
}

/// Runs the front end on `path`, printing its diagnostics; exits 1 on errors and 2 on I/O problems.
func loadSpec(_ path: String) throws -> LoadedSpec {
    let pipeline: SpecPipeline
    do {
        pipeline = try SpecPipeline.run(path: path)
    } catch {
        Console.errorLine("\(error.message)")
        throw ExitStatus.usageOrIO
    }
    DiagnosticsOutput.report(pipeline.diagnostics.sorted, files: [pipeline.file])
    guard let network = pipeline.network else { throw ExitStatus.inputErrors }
    return LoadedSpec(pipeline: pipeline, network: network)
}

func checkedNetwork(_ path: String) throws -> CheckedNetwork {
    try loadSpec(path).network
}

extension LoadedSpec {
    /// Binds the weights (inline values, then the file), printing every diagnostic. With
    /// `requireAll`, a parameter without values is an error that suggests `cnnc init-weights`.
    /// An unreadable `--weights` file exits 2; every other problem exits 1.
    func loadWeights(override: String?, requireAll: Bool) throws -> WeightsLoader.Outcome {
        let outcome = WeightsLoader.load(network, override: override)
        if let fileError = outcome.fileError {
            Console.errorLine("\(fileError.message)")
            throw fileError.problem == .cannotRead ? ExitStatus.usageOrIO : ExitStatus.inputErrors
        }
        DiagnosticsOutput.report(outcome.binding.diagnostics.sorted, files: [pipeline.file])
        if outcome.binding.diagnostics.hasErrors { throw ExitStatus.inputErrors }
        if requireAll, outcome.filePath == nil, !outcome.binding.missing.isEmpty {
            let names = outcome.binding.missing.map(\.name)
            let listed = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", …" : "")
            let spec = network.spec.path
            let suggested = (spec.split(separator: "/").last.map(String.init) ?? spec).replacingSuffix(".yaml", with: "") + ".safetensors"
            Console.errorLine("\(spec) has no values for \(names.count) weight tensor\(names.count == 1 ? "" : "s") (\(listed)); name a safetensors file with 'weights:' in the spec or --weights, or make one with 'cnnc init-weights \(spec) -o \(suggested)'")
            throw ExitStatus.inputErrors
        }
        return outcome
    }
}

/// Refuses an output path that is empty or blank (it would resolve to the root or the current
/// directory) or that names one of the command's inputs: writing it would destroy the input.
func refuseToOverwrite(_ output: String, inputs: [String?]) throws {
    if output.allSatisfy(\.isWhitespace) {
        Console.errorLine("the output path is \(output.isEmpty ? "empty" : "blank"); name a file or directory")
        throw ExitStatus.usageOrIO
    }
    for case let input? in inputs where FileSystem.isSameFile(output, input) {
        Console.errorLine("\(output) is also the input \(input); writing it would destroy that file: choose another output")
        throw ExitStatus.usageOrIO
    }
}

extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
