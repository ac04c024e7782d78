/// How a result leaves the program.
public enum OutputFormat: String, Sendable, CaseIterable {
    case json, npy, pgm, ppm, f32
}

/// Where a result goes, decided before any input is read so a wrong request fails fast.
public enum OutputDestination: Hashable, Sendable {
    /// JSON text printed on standard output.
    case standardOutput
    case file(path: String, format: OutputFormat)
}

/// Turning outputs into JSON text or files.
public enum ResultPresentation {
    public static let defaultTop = 5

    /// Decides where the result goes. A vector result is printed as JSON by default; a spatial one
    /// needs `--output FILE` or an explicit `--format json`. Format and shape must fit: PGM needs one
    /// channel, PPM three, and neither takes a vector.
    public static func destination(output: String?, format: OutputFormat?, outputShape shape: FeatureShape) throws(RuntimeError) -> OutputDestination {
        guard let path = output else {
            switch format {
            case nil:
                if shape.isVector { return .standardOutput }
                throw RuntimeError(
                    "the output is \(shape); write it with --output FILE (.npy, .pgm or .ppm) or print it with --format json")
            case .json?:
                return .standardOutput
            case let other?:
                throw RuntimeError("--format \(other.rawValue) needs --output FILE")
            }
        }
        let chosen: OutputFormat
        if let format {
            chosen = format
        } else {
            switch fileExtension(path) {
            case "json": chosen = .json
            case "npy": chosen = .npy
            case "pgm": chosen = .pgm
            case "ppm": chosen = .ppm
            case "pnm": chosen = shape.channels == 3 ? .ppm : .pgm
            case "f32": chosen = .f32
            default:
                throw RuntimeError(path: path,
                    "cannot tell the output format from the extension; use .npy, .pgm, .ppm, .f32 or .json, or give --format")
            }
        }
        if chosen == .pgm || chosen == .ppm {
            let name = chosen == .pgm ? "PGM" : "PPM"
            if shape.isVector {
                throw RuntimeError(path: path,
                    "the output is a vector of \(shape.channels) values, not an image; write it as .npy or .json")
            }
            let needed = chosen == .pgm ? 1 : 3
            if shape.channels != needed {
                throw RuntimeError(path: path,
                    "a \(name) image holds \(needed) channel\(needed == 1 ? "" : "s"), but the output is \(shape); write it as .npy")
            }
        }
        return .file(path: path, format: chosen)
    }

    /// The result as pretty-printed JSON (2-space indentation, number arrays on one line):
    ///
    ///     {"output_shape": [F], "results": [{"input", "values", "argmax", "label"?, "top": [{"index", "label"?, "value"}]}]}
    ///
    /// For a spatial result `output_shape` is `[C, H, W]`, `values` the flat C,H,W list, and there is
    /// no `argmax`, `label` or `top`. `top` holds min(top, F) entries by value, descending, ties by
    /// lower index. Labels, when given, name the output channels.
    public static func json(_ batch: OutputBatch, labels: [String]?, top: Int = defaultTop) -> String {
        let shape = batch.shape
        let sampleSize = shape.count
        func label(_ index: Int) -> String {
            guard let labels else { return "" }
            return JSONText.string(index < labels.count ? labels[index] : String(index))
        }
        var text = "{\n"
        text += "  \"output_shape\": \(JSONText.array(shape.isVector ? [shape.channels] : shape.dimensions) { String($0) }),\n"
        text += "  \"results\": [\n"
        for sample in 0..<batch.count {
            let values = batch.values[sample * sampleSize..<(sample + 1) * sampleSize]
            let name = sample < batch.names.count ? batch.names[sample] : "#\(sample)"
            text += "    {\n"
            text += "      \"input\": \(JSONText.string(name)),\n"
            text += "      \"values\": \(JSONText.array(values, JSONText.number))"
            if shape.isVector {
                let best = topIndices(values, count: max(top, 1))
                let ranked = best.prefix(max(top, 0))
                let argmax = best.first ?? 0
                text += ",\n      \"argmax\": \(argmax)"
                if labels != nil { text += ",\n      \"label\": \(label(argmax))" }
                text += ",\n      \"top\": ["
                for (rank, index) in ranked.enumerated() {
                    text += rank == 0 ? "\n" : ",\n"
                    text += "        {\"index\": \(index), "
                    if labels != nil { text += "\"label\": \(label(index)), " }
                    text += "\"value\": \(JSONText.number(values[values.startIndex + index]))}"
                }
                text += ranked.isEmpty ? "]" : "\n      ]"
            }
            text += "\n    }" + (sample + 1 < batch.count ? "," : "") + "\n"
        }
        text += "  ]\n}\n"
        return text
    }

    /// Indices of the `count` largest values, descending; equal values by lower index; NaN ranks
    /// below everything.
    public static func topIndices(_ values: ArraySlice<Float>, count: Int) -> [Int] {
        let wanted = min(max(count, 0), values.count)
        guard wanted > 0 else { return [] }
        let base = values.startIndex
        func ranksAbove(_ i: Int, _ j: Int) -> Bool {
            let a = values[base + i], b = values[base + j]
            if a.isNaN != b.isNaN { return b.isNaN }
            if a.isNaN || a == b { return i < j }
            return a > b
        }
        // Insertion into a short sorted list: O(F·K), and K is small.
        var best: [Int] = []
        best.reserveCapacity(wanted + 1)
        for index in 0..<values.count {
            if best.count == wanted, !ranksAbove(index, best[wanted - 1]) { continue }
            var position = best.count
            while position > 0 && ranksAbove(index, best[position - 1]) { position -= 1 }
            best.insert(index, at: position)
            if best.count > wanted { best.removeLast() }
        }
        return best
    }

    /// The files written for `count` image samples at `path`: `path` itself for one sample, else
    /// `name-0.pgm`, `name-1.pgm`, … beside it.
    public static func imagePaths(path: String, count: Int) -> [String] {
        guard count > 1 else { return [path] }
        let (directory, fileName) = splitPath(path)
        let prefix = path.contains("/") ? (directory == "/" ? "/" : directory + "/") : ""
        let stem: Substring, suffix: Substring
        if let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex {
            stem = fileName[..<dot]
            suffix = fileName[dot...]
        } else {
            stem = fileName[...]
            suffix = ""
        }
        return (0..<count).map { "\(prefix)\(stem)-\($0)\(suffix)" }
    }

    /// Writes the result in `format` (already checked by `destination`) and returns the paths written.
    /// `.npy` holds shape `[N, F]` for a vector result and `[N, C, H, W]` for a spatial one; `.f32`
    /// the same values, raw.
    @discardableResult
    public static func write(_ batch: OutputBatch, path: String, format: OutputFormat, labels: [String]?, top: Int = defaultTop) throws(RuntimeError) -> [String] {
        let shape = batch.shape
        switch format {
        case .json:
            try FileIO.writeOutput(path: path, text: json(batch, labels: labels, top: top))
        case .npy:
            let dimensions = shape.isVector ? [batch.count, shape.channels] : [batch.count] + shape.dimensions
            try NPY.write(path: path, shape: dimensions, values: batch.values)
        case .f32:
            try RawFloat32.write(path: path, values: batch.values)
        case .pgm, .ppm:
            let paths = imagePaths(path: path, count: batch.count)
            for (sample, imagePath) in paths.enumerated() {
                let values = Array(batch.values[sample * shape.count..<(sample + 1) * shape.count])
                try NetPBM.write(path: imagePath, shape: shape, values: values)
            }
            return paths
        }
        return [path]
    }
}
