@testable import CNNCCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `cnnc diagram`: the SVG is well-formed XML, names every layer and shape, and no two boxes
/// overlap; DOT and Mermaid name every node and edge.
@Suite struct DiagramTests {
    static let models = ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("models").path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted()

    func network(_ model: String) throws -> CheckedNetwork {
        let path = "models/" + model
        let pipeline = SpecPipeline.run(SourceFile(path: path, bytes: [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent(path)))))
        return try #require(pipeline.network, "\(pipeline.renderDiagnostics())")
    }

    /// Collects the boxes and the text of an SVG document.
    final class SVGReader: NSObject, XMLParserDelegate {
        var boxes: [(x: Double, y: Double, width: Double, height: Double)] = []
        var texts: [String] = []
        private var inText = false
        func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if element == "rect", let x = attributes["x"].flatMap(Double.init), let y = attributes["y"].flatMap(Double.init),
               let width = attributes["width"].flatMap(Double.init), let height = attributes["height"].flatMap(Double.init) {
                boxes.append((x, y, width, height))
            }
            if element == "text" {
                inText = true
                texts.append("")
            }
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inText { texts[texts.count - 1] += string }
        }
        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            if element == "text" { inText = false }
        }
    }

    @Test func theModelsAreHere() {
        #expect(Self.models.count >= 12)
    }

    @Test(arguments: models)
    func svgIsWellFormedNamesEverythingAndNoBoxesOverlap(_ model: String) throws {
        let network = try network(model)
        let svg = DiagramRenderer.render(NetworkDiagram(network), as: .svg)
        let reader = SVGReader()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reader
        #expect(parser.parse(), "\(model): \(parser.parserError.map(String.init(describing:)) ?? "")")
        #expect(reader.boxes.count == network.layers.count + 1, "\(model): one box per layer and the input")
        for (index, a) in reader.boxes.enumerated() {
            for b in reader.boxes[(index + 1)...] {
                let apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y
                #expect(apart, "\(model): boxes \(a) and \(b) overlap")
            }
        }
        let texts = Set(reader.texts)
        for layer in network.layers {
            #expect(texts.contains(layer.name) || texts.contains(layer.name + " (unused)"), "\(model): \(layer.name)")
            let shape = layer.output.height == 1 && layer.output.width == 1 ? "\(layer.output.channels)" : layer.output.description
            #expect(texts.contains(shape), "\(model): \(shape)")
        }
    }

    @Test func dotAndMermaidNameEveryNodeAndEdge() throws {
        let network = try network("unet_small.yaml")
        let diagram = NetworkDiagram(network)
        let dot = DiagramRenderer.render(diagram, as: .dot)
        let mermaid = DiagramRenderer.render(diagram, as: .mermaid)
        #expect(dot.hasPrefix("digraph \"unet_small\" {") && dot.hasSuffix("}\n"))
        #expect(mermaid.hasPrefix("flowchart TD\n"))
        let edges = network.layers.reduce(0) { $0 + $1.inputs.count }
        #expect(dot.components(separatedBy: " -> ").count - 1 == edges)
        #expect(mermaid.components(separatedBy: " -->|").count - 1 == edges)
        for layer in network.layers {
            #expect(dot.contains("\"\(layer.name)\\n"), "\(layer.name)")
            #expect(mermaid.contains("<b>\(layer.name)</b>"), "\(layer.name)")
        }
    }

    @Test func hostileNamesStayText() throws {
        let text = "name: \"<svg> & \\\"x\\\"\"\ninput: {channels: 1, height: 4, width: 4}\nlayers:\n  - relu: {name: \"</text><script>|#\"}\n"
        let network = try #require(SpecPipeline.run(SourceFile(path: "h.yaml", text: text)).network)
        let svg = DiagramRenderer.render(NetworkDiagram(network), as: .svg)
        #expect(XMLParser(data: Data(svg.utf8)).parse())
        #expect(!svg.contains("<script>"))
        #expect(DiagramRenderer.render(NetworkDiagram(network), as: .mermaid).contains("#lt;/text#gt;#lt;script#gt;#124;#35;"))
        #expect(DiagramRenderer.render(NetworkDiagram(network), as: .dot).contains("label=\"</text><script>|#\\nrelu\\n1×4×4\""))
    }
}
