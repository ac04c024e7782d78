/// The front end's stages in order: source text → YAML nodes → spec → checked network. Each stage runs
/// only when the one before it found no errors, and reports all of its own.
public struct SpecPipeline: Sendable {
    public var file: SourceFile
    public var diagnostics = Diagnostics()
    public var spec: NetworkSpec?
    public var network: CheckedNetwork?

    /// Reads the file at `path` and runs every stage on it.
    public static func run(path: String) throws(FileError) -> SpecPipeline {
        run(SourceFile(path: path, bytes: try FileSystem.read(path)))
    }

    public static func run(_ file: SourceFile) -> SpecPipeline {
        var pipeline = SpecPipeline(file: file)
        let yaml = YAMLReader(file: file).read()
        pipeline.diagnostics.append(contentsOf: yaml.diagnostics)
        guard let root = yaml.root else { return pipeline }
        let decoded = SpecDecoder.decode(root, path: file.path)
        pipeline.diagnostics.append(contentsOf: decoded.diagnostics)
        guard let spec = decoded.spec else { return pipeline }
        pipeline.spec = spec
        let checked = ShapeChecker.check(spec, source: file)
        pipeline.diagnostics.append(contentsOf: checked.diagnostics)
        pipeline.network = checked.network
        return pipeline
    }

    /// The diagnostics as the compiler prints them.
    public func renderDiagnostics(colored: Bool = false) -> String {
        DiagnosticRenderer(files: [file], colored: colored).render(diagnostics.sorted)
    }
}
