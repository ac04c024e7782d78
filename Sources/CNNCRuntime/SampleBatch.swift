/// `count` consecutive C,H,W float32 samples of `shape`, with one display name per sample: network
/// inputs as read from files, or network outputs ready to be presented.
public struct SampleBatch: Hashable, Sendable {
    public var shape: FeatureShape
    public var count: Int
    public var values: [Float]
    /// Inputs are named by the path as given for a file holding one sample, and `path[i]` for
    /// sample i of a file holding several; outputs carry their inputs' names.
    public var names: [String]

    public init(shape: FeatureShape, count: Int, values: [Float], names: [String]) {
        self.shape = shape
        self.count = count
        self.values = values
        self.names = names
    }
}

/// Samples ready for the network.
public typealias InputBatch = SampleBatch

/// Network outputs, one per input sample.
public typealias OutputBatch = SampleBatch
