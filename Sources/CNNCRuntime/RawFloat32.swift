/// Raw little-endian float32 values with no header (`.f32`).
public enum RawFloat32 {
    public static func read(path: String) throws(RuntimeError) -> [Float] {
        try decode(FileIO.readAll(path: path), name: path)
    }

    public static func decode(_ bytes: [UInt8], name: String) throws(RuntimeError) -> [Float] {
        guard bytes.count % 4 == 0 else {
            throw RuntimeError(path: name, "size \(bytes.count) bytes is not a multiple of 4 (float32)")
        }
        return bytes.withUnsafeBytes { littleEndianFloats($0, count: bytes.count / 4) }
    }

    /// Writes the values as little-endian float32, atomically.
    public static func write(path: String, values: [Float]) throws(RuntimeError) {
        try FileIO.writeOutput(path: path, bytes: encode(values))
    }

    public static func encode(_ values: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        appendLittleEndianFloats(values, to: &bytes)
        return bytes
    }
}
