import ArgumentParser
import CNNCCore
import CNNCRuntime

extension DiagramRenderer.Format: ExpressibleByArgument {}

struct Diagram: ParsableCommand, ReportsDiagnostics {
    static let configuration = CommandConfiguration(
        abstract: "Draw the network: SVG (drawn by cnnc), Graphviz DOT or Mermaid.",
        discussion: """
            One box per layer with its name, what it does and its output shape, and one arrow per edge \
            labelled with the tensor it carries; branches side by side, the output green, unused layers \
            dashed. The format follows the output's extension (.svg, .dot or .gv, .mmd), else --format \
            (default svg); without -o the diagram goes to standard output.

            Examples:
              cnnc diagram models/resnet_cifar.yaml -o resnet.svg
              cnnc diagram models/unet_small.yaml --format mermaid
            """
    )

    @Argument(help: "The spec file.", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String

    @Option(name: .shortAndLong, help: "The file to write (.svg, .dot, .gv, .mmd); '-' or none for standard output.")
    var output: String?

    @Option(help: "svg, dot or mermaid (default: from the output's extension, else svg).")
    var format: DiagramRenderer.Format?

    @OptionGroup var diagnosticsOptions: DiagnosticsOptions

    func chosenFormat() throws -> DiagramRenderer.Format {
        if let format { return format }
        guard let output, let dot = output.lastIndex(of: "."), !output.hasSuffix("/") else { return .svg }
        let pathExtension = String(output[output.index(after: dot)...])
        guard let format = DiagramRenderer.Format(pathExtension: pathExtension) else {
            throw ValidationError("cannot tell the format from '.\(pathExtension)'; name a .svg, .dot, .gv or .mmd file, or give --format")
        }
        return format
    }

    func validate() throws {
        _ = try chosenFormat()
    }

    func run() throws {
        let loaded = try loadSpec(spec)
        let text = DiagramRenderer.render(NetworkDiagram(loaded.network), as: try chosenFormat())
        guard let output else {
            Console.out(text)
            return
        }
        try refuseToOverwrite(output, inputs: [spec])
        do {
            try FileIO.writeOutput(path: output, text: text)
        } catch {
            Console.errorLine(error.message)
            throw ExitStatus.usageOrIO
        }
        if !OutputFile.isStandardStream(output) { Console.out("wrote \(output)\n") }
    }
}
