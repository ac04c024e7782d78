/// One sample's output, as a generated network's library returns it: the values, the labels when
/// the spec has them, and the classes ranked.
public struct NetworkPrediction: Hashable, Sendable {
    /// The network's output (C, H, W order).
    public let values: [Float]
    public let shape: FeatureShape
    /// The spec's `labels:`, one per output value, if it has them.
    public let labels: [String]?
    /// The values themselves when the network ends in softmax (they sum to 1), else nil.
    public var probabilities: [Float]? { isProbability ? values : nil }
    private let isProbability: Bool

    public init(values: [Float], shape: FeatureShape, labels: [String]?, isProbability: Bool) {
        self.values = values
        self.shape = shape
        self.labels = labels
        self.isProbability = isProbability
    }

    /// One ranked output value.
    public struct Ranked: Hashable, Sendable {
        public let index: Int
        /// The label when the spec has labels, else the index as text.
        public let label: String
        public let value: Float
    }

    /// The `k` largest values, largest first (ties: lower index first).
    public func top(_ k: Int) -> [Ranked] {
        ResultPresentation.topIndices(values[...], count: max(0, k)).map { index in
            Ranked(index: index, label: labels?[index] ?? String(index), value: values[index])
        }
    }

    /// The largest value's entry (nil only for an empty output).
    public var best: Ranked? { top(1).first }
}
