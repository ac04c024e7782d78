import ONNXProto

/// An ONNX model as the command line holds it (the protobuf types stay inside CNNCCore).
public struct ONNXModelProtoBox: Sendable {
    let model: Onnx_ModelProto
    public init(_ model: Onnx_ModelProto) { self.model = model }
    public var graphName: String { model.graph.name }
}

/// `cnnc import`: the importer, then cnnc's own front end on what it wrote, so a spec that would not
/// check is never written (that would be a bug in the importer, reported as one).
public enum ONNXImport {
    public static func run(_ box: ONNXModelProtoBox, options: ONNXImporter.Options, specPath: String) -> ONNXImporter.Result {
        var result = ONNXImporter.importModel(box.model, options: options)
        guard let text = result.specText else { return result }
        let pipeline = SpecPipeline.run(SourceFile(path: specPath, text: text))
        guard let network = pipeline.network, !pipeline.diagnostics.hasErrors else {
            result.problems.append("the spec written does not check, which is a bug in cnnc's importer; please report it with the model:\n"
                                   + pipeline.renderDiagnostics())
            result.specText = nil
            return result
        }
        let given = Dictionary(result.tensors.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        let slots = network.parameterSlots
        for slot in slots where given[slot.name] != slot.shape {
            result.problems.append("the weights written do not fit the spec ('\(slot.name)' is \(given[slot.name].map { "\($0)" } ?? "missing"), the spec needs \(slot.shape)), which is a bug in cnnc's importer")
        }
        if given.count != slots.count {
            result.problems.append("the importer wrote \(given.count) tensors for \(slots.count) slots, which is a bug in cnnc's importer")
        }
        if !result.problems.isEmpty { result.specText = nil }
        return result
    }
}
