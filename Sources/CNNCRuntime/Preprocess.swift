/// How image pixels become network input: `x' = (x·scale − mean[c]) / std[c]`, where x is the pixel
/// mapped to [0, 1] (divided by the image's maxval: 255 for 8-bit, 65535 for full 16-bit).
///
/// Applied to PGM/PPM inputs only. `.npy` and `.f32` inputs are taken as already preprocessed and used
/// as they are (a uint8 `.npy` gives the floats 0…255 unchanged).
public struct Preprocess: Hashable, Sendable {
    public var scale: Float
    /// One value for every channel, or one per channel.
    public var mean: [Float]
    /// One value for every channel, or one per channel; none may be zero.
    public var std: [Float]

    public init(scale: Float = 1, mean: [Float] = [0], std: [Float] = [1]) {
        self.scale = scale
        self.mean = mean
        self.std = std
    }

    public static let identity = Preprocess()

    /// Mean and std expanded to one value per channel, or an error when the counts do not fit.
    func perChannel(channels: Int) throws(RuntimeError) -> (mean: [Float], std: [Float]) {
        func expand(_ values: [Float], _ name: String) throws(RuntimeError) -> [Float] {
            if values.count == channels { return values }
            if values.count == 1 { return [Float](repeating: values[0], count: channels) }
            throw RuntimeError(
                "preprocess \(name) has \(values.count) values; expected 1 or \(channels) (one per channel)")
        }
        let mean = try expand(mean, "mean")
        let std = try expand(std, "std")
        if let zero = std.firstIndex(where: { $0 == 0 || !$0.isFinite }) {
            throw RuntimeError("preprocess std[\(zero)] is \(std[zero]); it must be a finite non-zero number")
        }
        return (mean, std)
    }

    /// Applies the formula in place to C,H,W values already mapped to [0, 1].
    func apply(to values: inout [Float], shape: FeatureShape) throws(RuntimeError) {
        let (mean, std) = try perChannel(channels: shape.channels)
        let plane = shape.height * shape.width
        let scale = self.scale
        values.withUnsafeMutableBufferPointer { buffer in
            for channel in 0..<shape.channels {
                let m = mean[channel], s = std[channel]
                for index in channel * plane..<(channel + 1) * plane {
                    buffer[index] = (buffer[index] * scale - m) / s
                }
            }
        }
    }

    /// 8-bit pixels as a camera buffer or a PGM/PPM file holds them (rows top to bottom, channels
    /// interleaved: gray, or R, G, B) mapped to [0, 1], rearranged to planes (C, H, W) and put through
    /// this formula: the network input, exactly as `cnnc run` and the inferencer make it from an image.
    public func input(pixels: UnsafeBufferPointer<UInt8>, shape: FeatureShape) throws(RuntimeError) -> [Float] {
        guard pixels.count == shape.count else {
            throw RuntimeError("\(pixels.count) pixel values given; a \(shape.width)×\(shape.height) image with \(shape.channels) channel\(shape.channels == 1 ? "" : "s") has \(shape.count)")
        }
        let plane = shape.height * shape.width
        var values = [Float](repeating: 0, count: shape.count)
        for position in 0..<plane {
            for channel in 0..<shape.channels {
                values[channel * plane + position] = Float(pixels[position * shape.channels + channel]) / 255
            }
        }
        try apply(to: &values, shape: shape)
        return values
    }
}

