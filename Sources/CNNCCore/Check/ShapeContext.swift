import CNNCRuntime

/// What a shape rule sees of one layer — its spec, the shapes it reads and who produced them — and
/// where it reports. Every operation's `check` in `Operators/` takes one.
struct ShapeContext {
    /// One value the layer reads.
    struct Input {
        var value: ValueID
        var shape: FeatureShape
        /// "'pool1'" or "the network input", for sentences. A value read after `activation:` sugar is
        /// named by the layer the user wrote, with `activation` naming the sugar layer.
        var producer: String
        var activation: String?
        /// Where the producing layer (or the input) is written.
        var producerLocation: SourceLocation
        /// The `from:` entry naming it, else the layer's kind key.
        var reference: SourceLocation

        /// "'pool1' produces 16×8×8 here" at the producer.
        var producerNote: Diagnostic.Note {
            if value == .input { return .init("the input is \(shape)", at: producerLocation) }
            let after = activation.map { ", after its activation '\($0)'" } ?? ""
            return .init("\(producer) produces \(shape) here\(after)", at: producerLocation)
        }

        /// "'pool1' produces" or "the input has", the subject of a sentence about its shape.
        var producerSubject: String { value == .input ? "the input has" : "\(producer) produces" }

        /// "'pool1' produces 16×8×8" or "the network input is 3×32×32".
        var describes: String { value == .input ? "the network input is \(shape)" : "\(producer) produces \(shape)" }
    }

    let layer: LayerSpec
    let inputs: [Input]
    /// The spec's text, when known: for fix-its that must match its layout.
    var source: SourceFile?
    var diagnostics = Diagnostics()

    init(layer: LayerSpec, inputs: [Input], source: SourceFile? = nil) {
        self.layer = layer
        self.inputs = inputs
        self.source = source
    }

    /// The edit that writes `- kind` as a layer of its own just before this one, when the layer is a
    /// block-list entry alone on its line (`  - dense: …`): the new line repeats its indentation and
    /// dash. Nil for other layouts (a flow list, say), where no edit is obvious.
    func fixItInsertingLayerBefore(_ kind: String) -> Diagnostic.FixIt? {
        let start = layer.location.start
        guard let line = source?.lineText(start.line) else { return nil }
        let lead = String(String.UnicodeScalarView(line.unicodeScalars.prefix(start.column - 1)))
        guard lead.unicodeScalars.count == start.column - 1,
              lead.filter({ $0 != " " }) == "-", lead.hasSuffix(" ") else { return nil }
        let at = SourcePosition(line: start.line, column: 1)
        return Diagnostic.FixIt(replacing: SourceLocation(path: layer.location.path, range: SourceRange(at: at)), with: lead + kind + "\n")
    }

    var name: String { layer.name }
    var input: FeatureShape { inputs[0].shape }
    var producer: Diagnostic.Note { inputs[0].producerNote }
    var producerSubject: String { inputs[0].producerSubject }

    mutating func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = [], fixIts: [Diagnostic.FixIt] = []) {
        diagnostics.error(message, at: location, notes: notes, fixIts: fixIts)
    }

    /// Elements of a shape, or nil beyond `ShapeLimits.maximumElements`.
    func elementCount(_ shape: FeatureShape) -> Int? {
        ShapeLimits.product(shape.channels, shape.height, shape.width)
    }

    /// The output shape, or an error when it would be too large.
    mutating func checkedOutput(_ shape: FeatureShape) -> FeatureShape? {
        guard elementCount(shape) != nil else {
            error("'\(name)' would produce \(shape), more than \(ShapeLimits.maximumElements.grouped) elements", at: layer.location,
                  notes: inputs.map(\.producerNote))
            return nil
        }
        return shape
    }

    /// Errors for multiply-accumulate counts beyond `ShapeLimits.maximumLayerMACs`.
    mutating func checkMACs(_ factors: Int...) -> Bool {
        var product = 1
        for factor in factors {
            let (next, overflow) = product.multipliedReportingOverflow(by: factor)
            if overflow || next > ShapeLimits.maximumLayerMACs {
                error("'\(name)' would need more than \(ShapeLimits.maximumLayerMACs.grouped) multiply-accumulates", at: layer.location)
                return false
            }
            product = next
        }
        return true
    }
}
