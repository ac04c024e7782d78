import ArgumentParser
import CNNCCore

extension SummaryRenderer.Format: ExpressibleByArgument {}

struct Summary: ParsableCommand, ReportsDiagnostics {
    static let configuration = CommandConfiguration(
        abstract: "Print a spec's per-layer shapes, parameters, MACs and receptive fields.",
        discussion: """
            The table lists every layer with its output shape, learnable parameters, multiply-accumulates \
            and receptive field (size and jump in input pixels), then the totals. The JSON form carries every \
            figure plus resolved paddings and receptive-field centres; its schema is in docs/summary-json.md.

            Examples:
              cnnc summary models/lenet5.yaml
              cnnc summary models/seed.yaml --format json
              cnnc summary models/cifar_vgg.yaml --format markdown > vgg.md
            """
    )

    @Argument(help: "The spec file.", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String

    @Option(help: "Output format: table, json or markdown.")
    var format: SummaryRenderer.Format = .table

    @OptionGroup var diagnosticsOptions: DiagnosticsOptions

    func run() throws {
        let network = try checkedNetwork(spec)
        Console.out(SummaryRenderer(network: network).render(format))
    }
}

