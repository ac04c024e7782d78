/// "Did you mean" for unknown keys and kinds (and the CLI's unknown commands).
public enum Suggestions {
    /// Words people bring from other frameworks, mapped to ours.
    static let synonyms: [String: String] = [
        "conv2d": "conv", "convolution": "conv", "conv2D": "conv",
        "linear": "dense", "fc": "dense", "fully_connected": "dense", "gemm": "dense",
        "maxpool2d": "maxpool", "max_pool": "maxpool", "max_pool2d": "maxpool", "maxpooling2d": "maxpool",
        "avgpool2d": "avgpool", "avg_pool": "avgpool", "avg_pool2d": "avgpool", "averagepool": "avgpool",
        "average_pool": "avgpool", "averagepooling2d": "avgpool",
        "globalaveragepool": "global_avgpool", "global_avg_pool": "global_avgpool", "gap": "global_avgpool",
        "adaptive_avgpool": "global_avgpool", "globalmaxpool": "global_maxpool", "global_max_pool": "global_maxpool",
        "batchnorm2d": "batchnorm", "batch_norm": "batchnorm", "bn": "batchnorm", "batchnormalization": "batchnorm",
        "leakyrelu": "leaky_relu", "lrelu": "leaky_relu", "swish": "silu", "logistic": "sigmoid",
        "out_channels": "channels", "filters": "channels", "kernel_size": "kernel", "strides": "stride",
        "pad": "padding", "pads": "padding", "padding_type": "padding_mode", "out_features": "units",
        "use_bias": "bias", "negative_slope": "alpha", "epsilon": "eps", "p": "rate", "dropout_rate": "rate",
        "reflection": "reflect", "mirror": "reflect", "symmetric": "reflect", "edge": "replicate", "nearest": "replicate",
        "inputs": "from", "input_from": "from", "scale_factor": "scale", "size": "scale",
        "upsampling2d": "upsample", "upsampling": "upsample", "resize": "upsample", "interpolate": "upsample",
        "conv2dtranspose": "conv_transpose", "convtranspose": "conv_transpose", "convtranspose2d": "conv_transpose",
        "conv_transpose2d": "conv_transpose", "deconv": "conv_transpose", "deconvolution": "conv_transpose",
        "transposed_conv": "conv_transpose", "concatenate": "concat", "cat": "concat", "sum": "add", "plus": "add",
        "multiply": "mul", "product": "mul",
        "wrap": "circular", "periodic": "circular", "zero": "zeros", "const": "constant", "dilation_rate": "dilation", "pool_size": "kernel", "count_include_padding": "count_include_pad",
    ]

    /// The closest candidate, if any is close enough to be a likely typo.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let lowered = word.lowercased()
        if let mapped = synonyms[lowered] ?? synonyms[word], candidates.contains(mapped) { return mapped }
        if let exact = candidates.first(where: { $0.lowercased() == lowered }) { return exact }
        var best: (word: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate)
            if distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let allowed = max(1, min(word.count, best.word.count) / 3)
        return best.distance <= allowed ? best.word : nil
    }

    /// Levenshtein distance with transpositions counted as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars.prefix(256))
        let b = Array(b.unicodeScalars.prefix(256))
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }

    /// `; did you mean 'x'?` or nothing.
    public static func didYouMean(_ word: String, in candidates: [String]) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// `; did you mean 'x'?` and the edit that writes `x` over `word` where it stands; nothing when no
    /// candidate is close.
    static func didYouMean(_ word: String, in candidates: [String], at location: SourceLocation) -> (text: String, fixIts: [Diagnostic.FixIt]) {
        guard let best = closest(to: word, in: candidates) else { return ("", []) }
        return (didYouMean(word, in: [best]), [Diagnostic.FixIt(replacing: location, with: yamlScalar(best, replacing: word, at: location))])
    }

    /// `text` as a YAML scalar to put where `original` was written: plain when the original was
    /// (its range is exactly its text) and plain is safe, else double-quoted.
    static func yamlScalar(_ text: String, replacing original: String, at location: SourceLocation) -> String {
        let range = location.range
        let wasPlain = range.start.line == range.end.line && range.end.column - range.start.column == original.unicodeScalars.count
        let plainIsSafe = !text.isEmpty && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
            && text.unicodeScalars.first!.properties.isAlphabetic
        if wasPlain && plainIsSafe { return text }
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }
}
