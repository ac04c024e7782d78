import ArgumentParser
import CNNCCore
import CNNCRuntime

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn an ONNX model into a spec and a safetensors weights file.",
        discussion: """
            Reads an ONNX model (opsets 11 to 21) and writes an ordinary spec — layer names from the ONNX \
            node and initializer names, one layer per line — and its weights with PyTorch state-dict names \
            and layouts. Constant subgraphs are folded and the patterns exporters emit (flatten through \
            Shape/Reshape, gelu through Erf, circular padding through Slice and Concat, Pad before a Conv or \
            pool) are recognised. Every node cnnc cannot express is reported, with its operation and why; \
            then nothing is written. The table of operations is in docs/import.md.

            Exit status: 0 when the spec was written, 1 when the model cannot be imported, 2 for a usage \
            error or an unreadable file.

            Examples:
              cnnc import mnist.onnx -o mnist.yaml
              cnnc import resnet20.onnx -o resnet20.yaml --name resnet20 \\
                  --weights-out weights/resnet20.safetensors
            """
    )

    @Argument(help: "The ONNX model.", completion: .file(extensions: ["onnx"]))
    var model: String

    @Option(name: .shortAndLong, help: "The spec to write (.yaml).")
    var output: String

    @Option(help: "The weights file to write (default: the spec's path with .safetensors).")
    var weightsOut: String?

    @Option(help: "The network's name (default: the ONNX graph's name, or 'imported').")
    var name: String?

    func validate() throws {
        if let name, !NetworkSpec.isValidName(name) {
            throw ValidationError("--name must be 1–128 characters without control characters, line breaks or bidirectional controls")
        }
    }

    func run() throws {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(model, limit: ONNXModelFile.maximumBytes)
        } catch {
            Console.errorLine("\(error.message)")
            throw ExitStatus.usageOrIO
        }
        let proto: ONNXModelProtoBox
        do {
            proto = ONNXModelProtoBox(try ONNXModelFile.decode(bytes, path: model))
        } catch {
            Console.errorLine("\(error.message)")
            throw ExitStatus.inputErrors
        }
        let weightsPath = weightsOut ?? output.replacingSuffix(".yaml", with: "").replacingSuffix(".yml", with: "") + ".safetensors"
        try refuseToOverwrite(output, inputs: [model])
        try refuseToOverwrite(weightsPath, inputs: [model, output])
        if weightsOut == nil, FileSystem.exists(weightsPath), !Self.writtenByImport(weightsPath) {
            // The weights path was not asked for: never replace a file the user made (a state dict).
            Console.errorLine("\(weightsPath) exists and was not written by cnnc import; name the weights file with --weights-out, or remove it")
            throw ExitStatus.usageOrIO
        }
        let options = ONNXImporter.Options(name: name ?? defaultName(proto), weightsReference: FileSystem.relativePath(weightsPath, from: output),
                                           sourcePath: model, sourceSHA256: SHA256.hex(bytes))
        let imported = ONNXImport.run(proto, options: options, specPath: output)
        for problem in imported.problems {
            Console.error(displaySafe("\(model): error: \(problem)") + "\n")
        }
        guard let text = imported.specText, imported.problems.isEmpty else {
            let count = imported.problems.count
            Console.error("\(model): \(count) problem\(count == 1 ? "" : "s"); nothing written\n")
            throw ExitStatus.inputErrors
        }
        do {
            if !imported.tensors.isEmpty {
                try SafeTensorsWriter.write(path: weightsPath, tensors: imported.tensors,
                                            metadata: ["format": "pt", "generator": "cnnc import \(CNNCVersion.string)", "source": model])
            }
        } catch {
            Console.errorLine("\(error.message)")
            throw ExitStatus.usageOrIO
        }
        do {
            try FileIO.writeOutput(path: output, text: text)
        } catch {
            Console.errorLine("\(error.message)")
            throw ExitStatus.usageOrIO
        }
        let values = imported.tensors.reduce(0) { $0 + $1.values.count }
        let weightsNote = imported.tensors.isEmpty ? "" : " and \(weightsPath) (\(imported.tensors.count) tensors, \(values.grouped) values)"
        Console.out("wrote \(output) (\(imported.layerCount) layers from \(imported.nodeCount) ONNX nodes)\(weightsNote)\n")
    }

    /// A safetensors file whose metadata says `cnnc import` wrote it (so importing again may replace it).
    static func writtenByImport(_ path: String) -> Bool {
        guard let file = try? SafeTensorsFile.read(path: path) else { return false }
        return file.metadata["generator"]?.hasPrefix("cnnc import") == true
    }

    private func defaultName(_ proto: ONNXModelProtoBox) -> String? {
        let stem = (model.split(separator: "/").last.map(String.init) ?? model).replacingSuffix(".onnx", with: "")
        return proto.graphName.isEmpty || proto.graphName == "main_graph" || proto.graphName == "torch_jit" ? stem : proto.graphName
    }
}
