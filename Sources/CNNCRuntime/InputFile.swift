/// The input file formats, chosen by extension, else by magic bytes.
public enum InputFormat: String, Sendable, CaseIterable {
    case npy
    case netpbm
    case f32

    static let supportedList = ".npy, .pgm, .ppm, .pnm, .f32"
}

/// Reads network inputs from `.npy`, PGM/PPM and raw `.f32` files.
///
/// - `.npy`: shape `[C,H,W]`, `[N,C,H,W]`, or `[H,W]` when C is 1; values used as they are.
/// - PGM/PPM: one sample; channels and size must match exactly (no conversion or resizing);
///   pixels are mapped to [0, 1] and then `preprocess` is applied.
/// - `.f32`: exactly one sample of little-endian float32, or an exact multiple (that many samples);
///   values used as they are.
public enum InputFile {
    public static func read(path: String, shape: FeatureShape, preprocess: Preprocess) throws(RuntimeError) -> InputBatch {
        let bytes = try FileIO.readAll(path: path)
        switch try format(path: path, bytes: bytes) {
        case .npy: return try fromNPY(bytes, path: path, shape: shape)
        case .netpbm: return try fromNetPBM(bytes, path: path, shape: shape, preprocess: preprocess)
        case .f32: return try fromRawFloat32(bytes, path: path, shape: shape)
        }
    }

    /// Reads every path and concatenates the samples, in order, into one batch.
    public static func read(paths: [String], shape: FeatureShape, preprocess: Preprocess) throws(RuntimeError) -> InputBatch {
        guard let first = paths.first else { throw RuntimeError("no input files given") }
        if paths.count == 1 { return try read(path: first, shape: shape, preprocess: preprocess) }
        var batch = InputBatch(shape: shape, count: 0, values: [], names: [])
        for path in paths {
            let part = try read(path: path, shape: shape, preprocess: preprocess)
            batch.count += part.count
            batch.values += part.values
            batch.names += part.names
        }
        return batch
    }

    /// The format by extension (`.npy`, `.pgm`, `.ppm`, `.pnm`, `.f32`), else by magic bytes.
    public static func format(path: String, bytes: [UInt8]) throws(RuntimeError) -> InputFormat {
        switch fileExtension(path) {
        case "npy": return .npy
        case "pgm", "ppm", "pnm": return .netpbm
        case "f32": return .f32
        default: break
        }
        if bytes.starts(with: NPY.magic) { return .npy }
        if bytes.count >= 2 && bytes[0] == UInt8(ascii: "P") && (UInt8(ascii: "1")...UInt8(ascii: "7")).contains(bytes[1]) {
            return .netpbm
        }
        throw RuntimeError(path: path, "unknown input format (supported: \(InputFormat.supportedList))")
    }

    static func names(for path: String, count: Int) -> [String] {
        count == 1 ? [path] : (0..<count).map { "\(path)[\($0)]" }
    }

    static func fromNPY(_ bytes: [UInt8], path: String, shape: FeatureShape) throws(RuntimeError) -> InputBatch {
        let array = try NPY.decode(bytes, name: path)
        let sample = shape.dimensions
        let isVector = shape.height == 1 && shape.width == 1
        let count: Int
        if array.shape == sample {
            count = 1
        } else if array.shape.count == 4 && Array(array.shape.dropFirst()) == sample {
            count = array.shape[0]
        } else if shape.channels == 1 && array.shape == [shape.height, shape.width] {
            count = 1
        } else if isVector && array.shape == [shape.channels] {
            count = 1
        } else if isVector && array.shape.count == 2 && array.shape[1] == shape.channels {
            count = array.shape[0]  // [N, F]: how PyTorch and ONNX hold a batch of vectors
        } else {
            var accepted = [shapeText(sample), "[N, " + sample.map(String.init).joined(separator: ", ") + "]"]
            if shape.channels == 1 { accepted.append(shapeText([shape.height, shape.width])) }
            if isVector { accepted += [shapeText([shape.channels]), "[N, \(shape.channels)]"] }
            throw RuntimeError(path: path,
                "expected \(shape) float input, found shape \(shapeText(array.shape)) (accepted: \(accepted.joined(separator: ", ")))")
        }
        if count == 0 { throw RuntimeError(path: path, "holds no samples (shape \(shapeText(array.shape)))") }
        return InputBatch(shape: shape, count: count, values: array.values, names: names(for: path, count: count))
    }

    static func fromNetPBM(_ bytes: [UInt8], path: String, shape: FeatureShape, preprocess: Preprocess) throws(RuntimeError) -> InputBatch {
        var image = try NetPBM.decode(bytes, name: path)
        let found = image.shape
        guard shape.channels == 1 || shape.channels == 3 else {
            throw RuntimeError(path: path,
                "the network expects \(shape.channels) input channels, but a PGM/PPM image has 1 or 3")
        }
        if found.channels != shape.channels {
            let expected = shape.channels == 1 ? "a 1-channel (PGM)" : "a 3-channel (PPM)"
            let foundKind = found.channels == 1 ? "a 1-channel PGM" : "a 3-channel PPM"
            throw RuntimeError(path: path,
                "expected \(expected) image for input \(shape), found \(foundKind) (no colour conversion is done)")
        }
        if found.width != shape.width || found.height != shape.height {
            throw RuntimeError(path: path,
                "expected a \(shape.width)×\(shape.height) image (width×height) for input \(shape), found \(found.width)×\(found.height) (images are not resized)")
        }
        do {
            try preprocess.apply(to: &image.values, shape: shape)
        } catch {
            throw RuntimeError(path: path, error.message)
        }
        return InputBatch(shape: shape, count: 1, values: image.values, names: [path])
    }

    static func fromRawFloat32(_ bytes: [UInt8], path: String, shape: FeatureShape) throws(RuntimeError) -> InputBatch {
        let sampleBytes = shape.count * 4
        guard !bytes.isEmpty, bytes.count % sampleBytes == 0 else {
            throw RuntimeError(path: path,
                "expected \(sampleBytes) bytes (one \(shape) float32 sample) or a multiple of it, found \(bytes.count) bytes")
        }
        let count = bytes.count / sampleBytes
        let values = try RawFloat32.decode(bytes, name: path)
        return InputBatch(shape: shape, count: count, values: values, names: names(for: path, count: count))
    }
}
