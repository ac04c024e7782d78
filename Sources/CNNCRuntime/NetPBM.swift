/// A binary PGM (P5, 1 channel) or PPM (P6, 3 channels) image, pixels mapped to [0, 1] (divided by
/// maxval) and laid out C,H,W.
public struct NetPBMImage: Hashable, Sendable {
    public var shape: FeatureShape
    public var maxval: Int
    public var values: [Float]

    public init(shape: FeatureShape, maxval: Int, values: [Float]) {
        self.shape = shape
        self.maxval = maxval
        self.values = values
    }
}

/// Binary PGM (P5) and PPM (P6) images, 8-bit (maxval ≤ 255) and 16-bit big-endian (maxval 256…65535).
/// Header comments (`#` to end of line) are allowed. ASCII (P2/P3), PBM and PAM files are not.
public enum NetPBM {
    /// Sides beyond this are refused as absurd before any size arithmetic.
    static let maximumSide = 1 << 20

    struct Header {
        var channels: Int
        var width: Int
        var height: Int
        var maxval: Int
        var dataStart: Int
        var bytesPerSample: Int { maxval < 256 ? 1 : 2 }
        var kind: String { channels == 1 ? "PGM" : "PPM" }
    }

    public static func read(path: String) throws(RuntimeError) -> NetPBMImage {
        try decode(FileIO.readAll(path: path), name: path)
    }

    /// Decodes the bytes of a P5/P6 file; `name` is used in error messages.
    public static func decode(_ bytes: [UInt8], name: String) throws(RuntimeError) -> NetPBMImage {
        let header = try parseHeader(bytes, name: name)
        let plane = header.width * header.height  // bounded by maximumSide²: no overflow
        let sampleCount = plane * header.channels
        let byteCount = sampleCount * header.bytesPerSample
        let available = bytes.count - header.dataStart
        if available < byteCount {
            throw RuntimeError(path: name,
                "pixel data is truncated: a \(header.width)×\(header.height) \(header.kind) with maxval \(header.maxval) needs \(byteCount) bytes, found \(available)")
        }
        if available > byteCount {
            throw RuntimeError(path: name,
                "has \(available - byteCount) bytes after the pixel data (multi-image files are not supported)")
        }

        let channels = header.channels
        let maxval = header.maxval
        var largest = 0
        // Files interleave channels (H,W,C); the network wants planes (C,H,W).
        let values = bytes.withUnsafeBufferPointer { file in
            [Float](unsafeUninitializedCapacity: sampleCount) { buffer, initialized in
                let pixels = UnsafeBufferPointer(rebasing: file[header.dataStart...])
                if header.bytesPerSample == 1 {
                    var table = [Float](repeating: 0, count: 256)
                    for level in 0...maxval { table[level] = Float(level) / Float(maxval) }
                    for pixel in 0..<plane {
                        for channel in 0..<channels {
                            let level = pixels[pixel * channels + channel]
                            largest = max(largest, Int(level))
                            buffer[channel * plane + pixel] = table[Int(level)]
                        }
                    }
                } else {
                    for pixel in 0..<plane {
                        for channel in 0..<channels {
                            let offset = 2 * (pixel * channels + channel)
                            let level = Int(pixels[offset]) << 8 | Int(pixels[offset + 1])
                            largest = max(largest, level)
                            buffer[channel * plane + pixel] = Float(level) / Float(maxval)
                        }
                    }
                }
                initialized = sampleCount
            }
        }
        if largest > maxval {
            throw RuntimeError(path: name, "pixel value \(largest) exceeds maxval \(maxval)")
        }
        return NetPBMImage(
            shape: FeatureShape(channels: channels, height: header.height, width: header.width),
            maxval: maxval, values: values)
    }

    static func parseHeader(_ bytes: [UInt8], name: String) throws(RuntimeError) -> Header {
        func problem(_ text: String) -> RuntimeError { RuntimeError(path: name, text) }

        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P") else {
            throw problem("not a PGM/PPM file (bad magic)")
        }
        let channels: Int
        switch bytes[1] {
        case UInt8(ascii: "5"): channels = 1
        case UInt8(ascii: "6"): channels = 3
        case UInt8(ascii: "2"), UInt8(ascii: "3"):
            throw problem("ASCII PGM/PPM (P2/P3) is not supported; convert it to binary P5/P6")
        case UInt8(ascii: "1"), UInt8(ascii: "4"):
            throw problem("PBM bitmaps (P1/P4) are not supported; use a binary PGM (P5) or PPM (P6)")
        case UInt8(ascii: "7"):
            throw problem("PAM (P7) is not supported; use a binary PGM (P5) or PPM (P6)")
        default:
            throw problem("not a PGM/PPM file (bad magic)")
        }

        var position = 2
        func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
        }
        // Whitespace and `#` comments (to the end of the line) separate the header fields.
        func skipSeparators() {
            while position < bytes.count {
                if isSpace(bytes[position]) {
                    position += 1
                } else if bytes[position] == UInt8(ascii: "#") {
                    while position < bytes.count && bytes[position] != 0x0A && bytes[position] != 0x0D { position += 1 }
                } else {
                    return
                }
            }
        }
        func readNumber(_ field: String) throws(RuntimeError) -> Int {
            let fieldStart = position
            skipSeparators()
            guard position < bytes.count else { throw problem("truncated header: no \(field)") }
            guard position > fieldStart else { throw problem("bad header: expected whitespace before the \(field)") }
            let start = position
            var value = 0
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                if value <= Int(Int32.max) { value = value * 10 + Int(bytes[position] - UInt8(ascii: "0")) }
                position += 1
            }
            guard position > start else {
                let byte = bytes[start]
                let shown = (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
                throw problem("bad header: expected the \(field), found \(shown)")
            }
            if value > Int(Int32.max) {
                throw problem("bad header: \(field) \(String(decoding: bytes[start..<position], as: UTF8.self)) is too large")
            }
            return value
        }

        let width = try readNumber("width")
        let height = try readNumber("height")
        let maxval = try readNumber("maxval")
        if width == 0 || height == 0 {
            throw problem("bad header: image size \(width)×\(height) is empty")
        }
        if width > maximumSide || height > maximumSide {
            throw problem("bad header: image size \(width)×\(height) is too large (at most \(maximumSide) per side)")
        }
        if maxval == 0 || maxval > 65535 {
            throw problem("bad header: maxval \(maxval) is out of range (1…65535)")
        }
        // Exactly one whitespace byte ends the header; the pixels follow.
        guard position < bytes.count else {
            throw problem("pixel data is truncated: the file ends after the header")
        }
        guard isSpace(bytes[position]) else {
            throw problem("bad header: expected one whitespace byte after the maxval")
        }
        return Header(channels: channels, width: width, height: height, maxval: maxval, dataStart: position + 1)
    }

    /// Writes an 8-bit PGM (1 channel) or PPM (3 channels) atomically. Values are clamped to [0, 1],
    /// multiplied by 255 and rounded to nearest; NaN becomes 0.
    public static func write(path: String, shape: FeatureShape, values: [Float]) throws(RuntimeError) {
        try FileIO.writeOutput(path: path, bytes: encode(shape: shape, values: values, name: path))
    }

    public static func encode(shape: FeatureShape, values: [Float], name: String = "image") throws(RuntimeError) -> [UInt8] {
        guard shape.channels == 1 || shape.channels == 3 else {
            throw RuntimeError(path: name, "a PGM/PPM image holds 1 or 3 channels, not \(shape.channels) (shape \(shape))")
        }
        guard values.count == shape.count else {
            throw RuntimeError(path: name, "shape \(shape) does not hold \(values.count) values")
        }
        let header = "P\(shape.channels == 1 ? 5 : 6)\n\(shape.width) \(shape.height)\n255\n"
        let plane = shape.height * shape.width
        let channels = shape.channels
        var bytes = Array(header.utf8)
        bytes += [UInt8](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            for pixel in 0..<plane {
                for channel in 0..<channels {
                    let value = values[channel * plane + pixel]
                    let clamped = value.isNaN ? 0 : min(max(value, 0), 1)
                    buffer[pixel * channels + channel] = UInt8((clamped * 255).rounded())
                }
            }
            initialized = values.count
        }
        return bytes
    }
}
