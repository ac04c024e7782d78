/// The shape of one sample: channels × height × width, stored C,H,W row-major.
/// A vector of F values is F×1×1.
public struct FeatureShape: Hashable, Sendable, CustomStringConvertible {
    public let channels: Int
    public let height: Int
    public let width: Int

    /// The shape comes from a checked network, not from a file: the sizes are positive and their
    /// product fits in an `Int`. Shapes read from files are checked before one is built.
    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// A vector of `count` values (count×1×1).
    public init(vector count: Int) {
        self.init(channels: count, height: 1, width: 1)
    }

    /// Number of values in one sample.
    public var count: Int { channels * height * width }

    /// True for a flat result (H = W = 1), which is presented as a vector of `channels` values.
    public var isVector: Bool { height == 1 && width == 1 }

    /// `1×28×28`
    public var description: String { "\(channels)×\(height)×\(width)" }

    /// `[1, 28, 28]`
    public var dimensions: [Int] { [channels, height, width] }
}

/// `[3, 28, 28]`, the notation used for shapes in messages.
func shapeText(_ dimensions: [Int]) -> String {
    "[" + dimensions.map(String.init).joined(separator: ", ") + "]"
}

/// The product of `dimensions`, or nil when a dimension is negative or the product overflows.
func checkedProduct(_ dimensions: [Int]) -> Int? {
    var product = 1
    for dimension in dimensions {
        guard dimension >= 0 else { return nil }
        let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        product = next
    }
    return product
}
