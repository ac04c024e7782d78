import CNNCRuntime

/// The network as a picture: one box per value (the input and every layer) with its name, what it
/// does and its output shape, and one arrow per edge labelled with the tensor it carries. Laid out in
/// ranks from top to bottom (a layer one rank below its deepest input), so a chain is one column and
/// branches sit side by side; an edge that skips ranks runs in a lane to the right of the boxes it
/// passes, so no arrow crosses a box.
public struct NetworkDiagram: Sendable {
    public struct Node: Sendable {
        /// `nil` for the network input.
        public var layer: Int?
        public var title: String
        public var detail: String
        public var shape: String
        public var isOutput: Bool
        public var isUnused: Bool
        public var rank: Int
        public var x = 0.0, y = 0.0, width = 0.0, height = 0.0
    }

    public struct Edge: Sendable {
        public var from: Int
        public var to: Int
        public var label: String
        /// The polyline the arrow follows, ending at the target box.
        public var points: [(x: Double, y: Double)] = []
    }

    public var name: String
    public var nodes: [Node]
    public var edges: [Edge]
    public var width = 0.0, height = 0.0

    // Metrics of the SVG form (monospace text, so widths follow from character counts).
    static let characterWidth = 7.3, boldCharacterWidth = 8.0, lineHeight = 16.0, padding = 10.0
    static let rankGap = 44.0, columnGap = 36.0, laneGap = 16.0, margin = 20.0

    public init(_ network: CheckedNetwork) {
        name = network.name
        var nodes = [Node(layer: nil, title: "input", detail: "network input", shape: Self.shapeText(network.input),
                          isOutput: false, isUnused: false, rank: 0)]
        var edges: [Edge] = []
        func node(of value: ValueID) -> Int {
            switch value {
            case .input: 0
            case .layer(let index): index + 1
            }
        }
        for layer in network.layers {
            let inputs = layer.inputs.map(node(of:))
            let rank = (inputs.map { nodes[$0].rank }.max() ?? 0) + 1
            nodes.append(Node(layer: layer.index, title: layer.name, detail: layer.operation.summaryDescription,
                              shape: Self.shapeText(layer.output), isOutput: layer.index == network.outputLayer,
                              isUnused: !network.reachesOutput[layer.index], rank: rank))
            for (position, source) in inputs.enumerated() {
                edges.append(Edge(from: source, to: layer.index + 1, label: Self.shapeText(layer.inputShapes[position])))
            }
        }
        self.nodes = nodes
        self.edges = edges
        layOut()
    }

    /// `C×H×W`, or `F` for a flat tensor, as the summary writes shapes.
    static func shapeText(_ shape: FeatureShape) -> String {
        shape.height == 1 && shape.width == 1 ? "\(shape.channels)" : shape.description
    }

    private mutating func layOut() {
        for index in nodes.indices {
            // The title is bold (unused ones say so): wider characters.
            let title = Double(nodes[index].title.count + (nodes[index].isUnused ? 9 : 0)) * Self.boldCharacterWidth
            let body = Double(max(nodes[index].detail.count, nodes[index].shape.count)) * Self.characterWidth
            nodes[index].width = max(title, body) + 2 * Self.padding
            nodes[index].height = 3 * Self.lineHeight + Self.padding
        }
        let rankCount = (nodes.map(\.rank).max() ?? 0) + 1
        var ranks = [[Int]](repeating: [], count: rankCount)
        for index in nodes.indices { ranks[nodes[index].rank].append(index) }
        var inputsOf = [[Int]](repeating: [], count: nodes.count)
        for edge in edges { inputsOf[edge.to].append(edge.from) }

        // Ranks top to bottom; within a rank, boxes ordered by the mean position of their inputs
        // (written order on ties) and placed side by side, centred on that mean.
        var y = Self.margin
        var rankTops = [Double](repeating: 0, count: rankCount)
        for rank in 0..<rankCount {
            rankTops[rank] = y
            func wanted(_ index: Int) -> Double {
                let sources = inputsOf[index]
                guard !sources.isEmpty else { return 0 }
                return sources.map { nodes[$0].x + nodes[$0].width / 2 }.reduce(0, +) / Double(sources.count)
            }
            let ordered = ranks[rank].enumerated().sorted { a, b in
                let (wa, wb) = (wanted(a.element), wanted(b.element))
                return wa != wb ? wa < wb : a.offset < b.offset
            }.map(\.element)
            let total = ordered.map { nodes[$0].width }.reduce(0, +) + Self.columnGap * Double(max(0, ordered.count - 1))
            let centre = ordered.isEmpty ? 0 : ordered.map(wanted).reduce(0, +) / Double(ordered.count)
            var x = max(Self.margin, centre - total / 2)
            for index in ordered {
                nodes[index].x = x
                nodes[index].y = y
                x += nodes[index].width + Self.columnGap
            }
            y += (ordered.map { nodes[$0].height }.max() ?? 0) + Self.rankGap
        }

        // Edges: straight down between adjacent ranks; a longer edge leaves its source on the right,
        // runs down a lane right of every box it passes, and enters its target from the right.
        var lanesUsed: [Double] = []
        for index in edges.indices {
            let source = nodes[edges[index].from], target = nodes[edges[index].to]
            if target.rank == source.rank + 1 {
                edges[index].points = [(source.x + source.width / 2, source.y + source.height),
                                       (target.x + target.width / 2, target.y)]
                continue
            }
            let passed = nodes.filter { $0.rank > source.rank && $0.rank < target.rank }
            var lane = (passed.map { $0.x + $0.width }.max() ?? source.x + source.width) + Self.laneGap
            while lanesUsed.contains(where: { abs($0 - lane) < Self.laneGap / 2 }) { lane += Self.laneGap }
            lanesUsed.append(lane)
            let startY = source.y + source.height / 2, endY = target.y + target.height / 2
            edges[index].points = [(source.x + source.width, startY), (lane, startY), (lane, endY), (target.x + target.width, endY)]
        }
        let rightmost = max(nodes.map { $0.x + $0.width }.max() ?? 0, lanesUsed.max() ?? 0,
                            edges.flatMap { edge in edge.points.map { $0.x + Double(edge.label.count) * Self.characterWidth + 8 } }.max() ?? 0)
        width = rightmost + Self.margin
        height = y - Self.rankGap + Self.margin
    }
}
