/// A `NetworkDiagram` as SVG (drawn by cnnc, nothing else needed), Graphviz DOT or Mermaid.
public enum DiagramRenderer {
    public enum Format: String, CaseIterable, Sendable {
        case svg, dot, mermaid

        /// The format a file name asks for: `.svg`, `.dot`/`.gv`, `.mmd`/`.mermaid`.
        public init?(pathExtension: String) {
            switch pathExtension.lowercased() {
            case "svg": self = .svg
            case "dot", "gv": self = .dot
            case "mmd", "mermaid": self = .mermaid
            default: return nil
            }
        }
    }

    public static func render(_ diagram: NetworkDiagram, as format: Format) -> String {
        switch format {
        case .svg: svg(diagram)
        case .dot: dot(diagram)
        case .mermaid: mermaid(diagram)
        }
    }

    // MARK: SVG

    static func svg(_ diagram: NetworkDiagram) -> String {
        func number(_ value: Double) -> String {
            let rounded = (value * 10).rounded() / 10
            return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        }
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(number(diagram.width))" height="\(number(diagram.height))" \
            viewBox="0 0 \(number(diagram.width)) \(number(diagram.height))" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">
            <title>\(xmlEscaped(diagram.name))</title>
            <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">\
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>
            <rect width="100%" height="100%" fill="white"/>

            """
        for edge in diagram.edges {
            let path = edge.points.enumerated().map { ($0.offset == 0 ? "M " : "L ") + number($0.element.x) + " " + number($0.element.y) }
                .joined(separator: " ")
            out += "<path class=\"edge\" d=\"\(path)\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.2\" marker-end=\"url(#arrow)\"/>\n"
            // The label beside the edge's vertical run: its middle segment, or the only one.
            let (a, b) = edge.points.count == 2 ? (edge.points[0], edge.points[1]) : (edge.points[1], edge.points[2])
            out += "<text class=\"edge-label\" x=\"\(number(max(a.x, b.x) + 5))\" y=\"\(number((a.y + b.y) / 2 + 4))\" fill=\"#555\" font-size=\"11\">\(xmlEscaped(edge.label))</text>\n"
        }
        for node in diagram.nodes {
            let fill = node.layer == nil ? "#e8f0fe" : node.isOutput ? "#e6f4ea" : "#f8f9fa"
            let dash = node.isUnused ? " stroke-dasharray=\"5 3\"" : ""
            out += "<g class=\"node\">\n"
            out += "<rect x=\"\(number(node.x))\" y=\"\(number(node.y))\" width=\"\(number(node.width))\" height=\"\(number(node.height))\" rx=\"6\" fill=\"\(fill)\" stroke=\"#3c4043\"\(dash)/>\n"
            let left = number(node.x + NetworkDiagram.padding)
            let lines = [(node.title + (node.isUnused ? " (unused)" : ""), " font-weight=\"bold\""), (node.detail, ""), (node.shape, " fill=\"#1a73e8\"")]
            for (row, (text, style)) in lines.enumerated() {
                let y = node.y + NetworkDiagram.padding / 2 + NetworkDiagram.lineHeight * Double(row + 1) - 3
                out += "<text x=\"\(left)\" y=\"\(number(y))\"\(style)>\(xmlEscaped(text))</text>\n"
            }
            out += "</g>\n"
        }
        return out + "</svg>\n"
    }

    static func xmlEscaped(_ text: String) -> String {
        var out = ""
        for scalar in displaySafe(text).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: DOT

    static func dot(_ diagram: NetworkDiagram) -> String {
        func escaped(_ text: String) -> String {
            displaySafe(text).replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
        }
        func quoted(_ text: String) -> String { "\"" + escaped(text) + "\"" }
        var out = "digraph \(quoted(diagram.name)) {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f8f9fa\", fontname=\"monospace\"];\n"
        out += "  edge [fontname=\"monospace\", fontsize=10];\n"
        for (index, node) in diagram.nodes.enumerated() {
            let lines = [node.title + (node.isUnused ? " (unused)" : ""), node.detail, node.shape]
            var attributes = "label=\"" + lines.map(escaped).joined(separator: "\\n") + "\""
            if node.layer == nil { attributes += ", fillcolor=\"#e8f0fe\"" }
            if node.isOutput { attributes += ", fillcolor=\"#e6f4ea\"" }
            if node.isUnused { attributes += ", style=\"rounded,dashed\"" }
            out += "  n\(index) [\(attributes)];\n"
        }
        for edge in diagram.edges {
            out += "  n\(edge.from) -> n\(edge.to) [label=\(quoted(edge.label))];\n"
        }
        return out + "}\n"
    }

    // MARK: Mermaid

    static func mermaid(_ diagram: NetworkDiagram) -> String {
        // Mermaid strings take entity codes for quotes and markup characters.
        func text(_ value: String) -> String {
            var out = ""
            for scalar in displaySafe(value).unicodeScalars {
                switch scalar {
                case "\"": out += "#quot;"
                case "<": out += "#lt;"
                case ">": out += "#gt;"
                case "#": out += "#35;"
                case "|": out += "#124;"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out
        }
        var out = "flowchart TD\n"
        for (index, node) in diagram.nodes.enumerated() {
            out += "  n\(index)[\"<b>\(text(node.title + (node.isUnused ? " (unused)" : "")))</b><br/>\(text(node.detail))<br/>\(text(node.shape))\"]\n"
        }
        for edge in diagram.edges {
            out += "  n\(edge.from) -->|\"\(text(edge.label))\"| n\(edge.to)\n"
        }
        if let output = diagram.nodes.firstIndex(where: \.isOutput) {
            out += "  style n\(output) fill:#e6f4ea\n"
        }
        return out
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
