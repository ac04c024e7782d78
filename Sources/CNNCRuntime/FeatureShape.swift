/// The shape of one sample's activations: channels × height × width, stored C, H, W row-major.
public struct FeatureShape: Hashable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    public var count: Int { channels * height * width }

    public var description: String { "\(channels)×\(height)×\(width)" }
}
