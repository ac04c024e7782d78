import ArgumentParser
import Foundation
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
              cnnc summary models/lenet5.yaml --batch 64 --columns all
            """
    )

    @Argument(help: "The spec file.", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String

    @Option(help: "Output format: table, json or markdown.")
    var format: SummaryRenderer.Format = .table

    @Option(help: "Samples per inference: scales the mult-adds and the activation sizes.")
    var batch: Int = 1

    @Option(help: ArgumentHelp(
        "Table columns, comma-separated: index, name, layer, input, kernel, output, params, macs, rf, jump, from; or 'all'.",
        discussion: "By default the table shows what fits the terminal (100 columns when not a terminal), dropping input, kernel, jump and receptive field in that order."))
    var columns: String?

    @OptionGroup var diagnosticsOptions: DiagnosticsOptions

    func validate() throws {
        if batch < 1 || batch > 1_000_000 { throw ValidationError("--batch needs an integer from 1 to 1,000,000, got \(batch)") }
        _ = try chosenColumns()
    }

    func chosenColumns() throws -> SummaryRenderer.Columns {
        guard let columns else { return .fitting(width: Console.stdoutColumns ?? SummaryRenderer.Columns.defaultWidth) }
        if columns == "all" { return .only(SummaryRenderer.Column.allCases) }
        var chosen: [SummaryRenderer.Column] = []
        for word in columns.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let column = SummaryRenderer.Column(rawValue: word == "#" ? "index" : word.lowercased()) else {
                let names = SummaryRenderer.Column.allCases.map(\.rawValue)
                let suggestion = Suggestions.didYouMean(word, in: names)
                throw ValidationError("unknown column '\(word)' for --columns\(suggestion) (columns: \(names.joined(separator: ", ")), or all)")
            }
            chosen.append(column)
        }
        if chosen.isEmpty { throw ValidationError("--columns needs at least one column") }
        return .only(chosen)
    }

    func run() throws {
        let network = try checkedNetwork(spec)
        Console.out(SummaryRenderer(network: network, batch: batch).render(format, columns: try chosenColumns()))
    }
}

