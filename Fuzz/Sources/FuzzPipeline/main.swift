import CNNCCore
import Foundation
import LibFuzzer

// Structure-aware: the bytes are choices, not text. They draw a spec that is valid most of the
// time — every layer kind (graph kinds through `from:` included), each option form, small shapes,
// awkward names — and the whole pipeline runs on it: check, analysis, the three summaries, seeded
// weights, the execution plan and the generated package's Swift text, and the ONNX export read back
// by the importer. With CNNC_FUZZ_GENERATED=DIR set, every generated package is also written to
// DIR/<hash of the spec>/, for Fuzz/compile-generated.sh to compile.

/// Reads the fuzzer's bytes as choices; past the end every choice is its first option.
struct Choices {
    let bytes: [UInt8]
    var next = 0

    mutating func byte() -> Int {
        guard next < bytes.count else { return 0 }
        defer { next += 1 }
        return Int(bytes[next])
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + byte() % range.count
    }

    mutating func pick<T>(_ options: [T]) -> T {
        options[byte() % options.count]
    }

    /// True once in `n` draws.
    mutating func oneIn(_ n: Int) -> Bool {
        byte() % n == n - 1
    }

    var exhausted: Bool { next >= bytes.count }
}

/// A value of the network being drawn: the input or a layer's result, with the shape it should have.
struct Value {
    var name: String
    var channels: Int
    var height: Int
    var width: Int
    var isFlat: Bool { height == 1 && width == 1 }
}

struct SpecDraw {
    var choices: Choices
    var lines: [String] = []
    var values: [Value] = []
    var counters: [String: Int] = [:]
    var names: Set<String> = ["input"]

    static let activations = ["relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "softmax"]
    static let awkwardNames = ["dense", "maxPool", "self", "Type", "init", "class", "features.0", "a b", "ünïcödé", "\\\"q\\\"",
                               "_", "0start", "network", "predict", "weights", "Float", "Swift", "main", "x\\u00A0y", "🙂"]

    init(_ bytes: [UInt8]) { choices = Choices(bytes: bytes) }

    /// The default name the checker gives the next layer of `kind` (docs/spec.md, Names).
    mutating func count(_ kind: String) -> String {
        counters[kind, default: 0] += 1
        return kind + (kind.last!.isNumber ? "_" : "") + String(counters[kind]!)
    }

    /// A name for a layer of `kind`: usually its default, sometimes an explicit awkward one.
    mutating func name(_ kind: String, options: inout [String]) -> String {
        let automatic = count(kind)
        guard choices.oneIn(6) else { return automatic }
        let explicit = choices.pick(Self.awkwardNames) + (choices.oneIn(2) ? "" : String(choices.int(0...9)))
        guard !names.contains(explicit) else { return automatic }
        options.insert("name: \"\(explicit)\"", at: 0)
        return explicit
    }

    mutating func side(_ n: Int) -> String {
        choices.oneIn(4) ? "[\(choices.int(1...n)), \(choices.int(1...n))]" : String(choices.int(1...n))
    }

    mutating func number() -> String {
        choices.pick(["0", "1", "-1", "0.5", "2.5e-1", "-3.25", "1e-3", "7"])
    }

    /// Reads a value: the latest, or now and then any earlier one (through `from:`).
    mutating func source(_ options: inout [String]) -> Value {
        guard values.count > 1, choices.oneIn(4) else { return values.last! }
        let value = values[choices.int(0...(values.count - 1))]
        options.append("from: \(quoted(value.name))")
        return value
    }

    func quoted(_ name: String) -> String { "\"\(name)\"" }

    /// Output side of a window (docs/spec.md, Windows), or nil when it does not fit.
    func windowSide(_ n: Int, kernel: Int, stride: Int, dilation: Int, padding: Int) -> Int? {
        let extent = dilation * (kernel - 1) + 1
        guard extent <= n + 2 * padding else { return nil }
        return (n + 2 * padding - extent) / stride + 1
    }

    mutating func activationSugar(_ options: inout [String]) -> String? {
        guard choices.oneIn(4) else { return nil }
        let kind = choices.pick(Self.activations)
        if kind == "leaky_relu" || kind == "elu", choices.oneIn(2) {
            options.append("activation: {\(kind): {alpha: \(number())}}")
        } else {
            options.append("activation: \(kind)")
        }
        return kind
    }

    mutating func emit(_ kind: String, _ options: [String], output: Value, sugar: String? = nil) {
        lines.append(options.isEmpty && !choices.oneIn(3) ? "  - \(kind)" : "  - \(kind): {\(options.joined(separator: ", "))}")
        names.insert(output.name)
        values.append(output)
        if let sugar { _ = count(sugar) }
    }

    mutating func window(_ kind: String) {
        var options: [String] = []
        let input = source(&options)
        let kernel = choices.int(1...3), stride = choices.int(1...2)
        let dilation = kind == "conv" && choices.oneIn(4) ? 2 : 1
        let padding = choices.int(0...(kernel - 1))
        options.append("kernel: \(kernel)")
        if stride > 1 || choices.oneIn(3) { options.append("stride: \(stride)") }
        if dilation > 1 { options.append("dilation: \(dilation)") }
        let same = choices.oneIn(5)
        if same {
            options.append("padding: same")
        } else if padding > 0 {
            options.append(choices.oneIn(3) ? "padding: [\(padding), \(padding), \(padding), \(padding)]" : "padding: \(padding)")
        }
        var height = same ? (input.height + stride - 1) / stride : windowSide(input.height, kernel: kernel, stride: stride, dilation: dilation, padding: padding)
        var width = same ? (input.width + stride - 1) / stride : windowSide(input.width, kernel: kernel, stride: stride, dilation: dilation, padding: padding)
        if choices.oneIn(10) { height = height.map { $0 + 1 }; width = nil }   // a mistake now and then
        var channels = input.channels
        var sugar: String?
        switch kind {
        case "conv":
            let divisors = (1...input.channels).filter { input.channels % $0 == 0 }
            let groups = choices.pick(divisors)
            channels = groups * choices.int(1...3)
            options.insert("channels: \(channels)", at: 0)
            if groups > 1 { options.append("groups: \(groups)") }
            if padding > 0 || same, choices.oneIn(2) {
                let mode = choices.pick(["zeros", "constant", "reflect", "replicate", "circular"])
                options.append("padding_mode: \(mode)")
                if mode == "constant" { options.append("padding_value: \(number())") }
            }
            if choices.oneIn(3) { options.append("bias: false") }
            if choices.oneIn(8) {
                let row = (0..<kernel).map { _ in number() }.joined(separator: ", ")
                options.append("weight: [" + (0..<kernel).map { _ in "[\(row)]" }.joined(separator: ", ") + "]")
                if choices.oneIn(2) { options.append("normalize: true") }
            }
            if choices.oneIn(5) { options.append("in_channels: \(input.channels)") }
            sugar = activationSugar(&options)
        case "avgpool":
            if padding > 0 || same { options.append("count_include_pad: \(choices.oneIn(2))") }
            fallthrough
        default:
            if choices.oneIn(4) { options.append("ceil_mode: true") }
        }
        var layerOptions = options
        let name = self.name(kind, options: &layerOptions)
        emit(kind, layerOptions, output: Value(name: name, channels: channels, height: height ?? 1, width: width ?? 1), sugar: sugar)
    }

    mutating func transposedConvolution() {
        var options: [String] = []
        let input = source(&options)
        let kernel = choices.int(1...3), stride = choices.int(1...2), dilation = choices.oneIn(5) ? 2 : 1
        let outputPadding = choices.int(0...(max(stride, dilation) - 1))
        let crop = choices.int(0...1)
        let channels = choices.int(1...4)
        options.insert(contentsOf: ["channels: \(channels)", "kernel: \(kernel)"], at: 0)
        if stride > 1 { options.append("stride: \(stride)") }
        if dilation > 1 { options.append("dilation: \(dilation)") }
        if outputPadding > 0 { options.append("output_padding: \(outputPadding)") }
        if crop > 0 { options.append("padding: \(crop)") }
        if choices.oneIn(3) { options.append("bias: false") }
        let sugar = activationSugar(&options)
        func side(_ n: Int) -> Int { (n - 1) * stride - 2 * crop + dilation * (kernel - 1) + outputPadding + 1 }
        let name = self.name("conv_transpose", options: &options)
        emit("conv_transpose", options, output: Value(name: name, channels: channels, height: max(1, side(input.height)), width: max(1, side(input.width))), sugar: sugar)
    }

    mutating func dense() {
        var options: [String] = []
        var input = source(&options)
        if !input.isFlat, !choices.oneIn(8) {
            // Flatten first, so the dense layer usually checks.
            let flat = Value(name: count("flatten"), channels: input.channels * input.height * input.width, height: 1, width: 1)
            if !options.isEmpty { lines.append("  - flatten: {\(options.joined(separator: ", "))}") } else { lines.append("  - flatten") }
            names.insert(flat.name)
            values.append(flat)
            input = flat
            options = []
        }
        let units = choices.int(1...6)
        options.insert("units: \(units)", at: 0)
        if choices.oneIn(4) { options.append("bias: false") }
        if choices.oneIn(5) { options.append("in_features: \(input.channels)") }
        if choices.oneIn(8), input.channels <= 16 {
            options.append("weight: [" + (0..<units).map { _ in "[" + (0..<input.channels).map { _ in number() }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "]")
        }
        let sugar = activationSugar(&options)
        let name = self.name("dense", options: &options)
        emit("dense", options, output: Value(name: name, channels: units, height: 1, width: 1), sugar: sugar)
    }

    /// `add`, `mul` or `concat` over values that fit together (now and then ones that do not).
    mutating func merge(_ kind: String) {
        let first = values[choices.int(0...(values.count - 1))]
        let fitting = values.filter { value in
            switch kind {
            case "concat": value.height == first.height && value.width == first.width
            case "mul": (value.height == first.height && value.width == first.width || value.isFlat) && value.channels == first.channels
            default: value.height == first.height && value.width == first.width && value.channels == first.channels
            }
        }
        let count = kind == "mul" ? 2 : choices.int(2...3)
        var inputs = [first]
        for _ in 1..<count { inputs.append(choices.oneIn(12) ? values[choices.int(0...(values.count - 1))] : choices.pick(fitting)) }
        if kind == "mul", first.isFlat, !inputs[1].isFlat { inputs.swapAt(0, 1) }
        var options = ["from: [" + inputs.map { quoted($0.name) }.joined(separator: ", ") + "]"]
        let sugar = kind == "concat" ? nil : activationSugar(&options)
        let channels = kind == "concat" ? inputs.map(\.channels).reduce(0, +) : inputs[0].channels
        let name = self.name(kind, options: &options)
        emit(kind, options, output: Value(name: name, channels: channels, height: inputs[0].height, width: inputs[0].width), sugar: sugar)
    }

    mutating func simple(_ kind: String) {
        var options: [String] = []
        let input = source(&options)
        var output = input
        switch kind {
        case "leaky_relu", "elu":
            if choices.oneIn(2) { options.append("alpha: \(number())") }
        case "dropout":
            if choices.oneIn(2) { options.append("rate: \(choices.pick(["0", "0.5", "0.25"]))") }
        case "batchnorm":
            if choices.oneIn(3) { options.append("eps: \(choices.pick(["1e-5", "0.001", "1e-3"]))") }
        case "flatten":
            output = Value(name: "", channels: input.channels * input.height * input.width, height: 1, width: 1)
        case "global_avgpool", "global_maxpool":
            output = Value(name: "", channels: input.channels, height: 1, width: 1)
        case "upsample":
            let (h, w) = (choices.int(1...2), choices.int(1...3))
            options.append(h == w && choices.oneIn(2) ? "scale: \(h)" : "scale: [\(h), \(w)]")
            if choices.oneIn(2) { options.append("mode: \(choices.pick(["nearest", "bilinear"]))") }
            output = Value(name: "", channels: input.channels, height: input.height * h, width: input.width * w)
        default:
            break
        }
        output.name = name(kind, options: &options)
        emit(kind, options, output: output)
    }

    mutating func draw() -> String {
        let channels = choices.int(1...4), height = choices.int(1...12), width = choices.oneIn(3) ? choices.int(1...12) : height
        values.append(Value(name: "input", channels: channels, height: height, width: width))
        let layerCount = choices.int(1...12)
        let kinds = ["conv", "conv", "maxpool", "avgpool", "conv_transpose", "dense", "add", "mul", "concat", "upsample",
                     "batchnorm", "dropout", "flatten", "global_avgpool", "global_maxpool"] + Self.activations
        for _ in 0..<layerCount where !(choices.exhausted && lines.count > 0) {
            // Keep tensors small, so every stage stays fast.
            if let last = values.last, last.channels * last.height * last.width > 4096 {
                simple("global_avgpool")
                continue
            }
            switch choices.pick(kinds) {
            case "conv": window("conv")
            case "maxpool": window("maxpool")
            case "avgpool": window("avgpool")
            case "conv_transpose": transposedConvolution()
            case "dense": dense()
            case "add": merge("add")
            case "mul": merge("mul")
            case "concat": merge("concat")
            case let kind: simple(kind)
            }
        }
        var header = ["name: \(choices.oneIn(4) ? quoted(choices.pick(Self.awkwardNames)) : "fuzz")",
                      "input: {channels: \(channels), height: \(height), width: \(width)}"]
        if choices.oneIn(5), values.count > 2 { header.append("output: \(quoted(values[choices.int(1...(values.count - 1))].name))") }
        if choices.oneIn(6), let last = values.last {
            header.append("labels: [" + (0..<last.channels).map { "l\($0)" }.joined(separator: ", ") + "]")
        }
        return (header + ["layers:"] + lines).joined(separator: "\n") + "\n"
    }
}

/// FNV-1a, for the folder of a generated package.
func fnv1a(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return String(hash, radix: 16)
}

let generatedFolder = ProcessInfo.processInfo.environment["CNNC_FUZZ_GENERATED"]

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var draw = SpecDraw(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    let text = draw.draw()
    let pipeline = SpecPipeline.run(SourceFile(path: "fuzz.yaml", text: text))
    _ = pipeline.renderDiagnostics()
    guard let network = pipeline.network else { return 0 }
    let renderer = SummaryRenderer(network: network)
    for format in SummaryRenderer.Format.allCases { _ = renderer.render(format) }
    let bound = WeightBinder.bind(network, file: nil)
    guard !bound.diagnostics.hasErrors else { return 0 }
    let weights = bound.weights
        ?? NetworkWeights(values: Dictionary(WeightInitializer.tensors(for: network, seed: 1, mode: .randomizeAll).map { ($0.name, $0.values) },
                                             uniquingKeysWith: { first, _ in first }))
    let package = PackageGenerator.generate(network, weights: weights, options: GenerationOptions(specBytes: Array(text.utf8)))
    if let generatedFolder {
        let folder = generatedFolder + "/" + fnv1a(text)
        for file in package.files {
            let path = folder + "/" + file.path
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path, contents: Data(file.bytes))
        }
        FileManager.default.createFile(atPath: folder + "/spec.yaml", contents: Data(text.utf8))
        FileManager.default.createFile(atPath: folder + "/core-sources", contents: Data(package.core.swiftSources.joined(separator: "\n").utf8))
        FileManager.default.createFile(atPath: folder + "/core-includes", contents: Data(package.core.weightsIncludes.utf8))
        FileManager.default.createFile(atPath: folder + "/core-module", contents: Data(package.core.swiftModule.utf8))
    }
    // The exported model, read back by the importer. A model the importer declines is fine (its
    // patterns are a subset of what the exporter writes; docs/fuzzing.md), but the importer's own
    // consistency checks must hold.
    let model = ONNXExporter.export(network, weights: weights)
    guard let bytes = try? ONNXModelFile.bytes(of: model), let decoded = try? ONNXModelFile.decode(bytes, path: "fuzz.onnx") else {
        fatalError("the exported model does not read back:\n\(text)")
    }
    let options = ONNXImporter.Options(weightsReference: "fuzz.safetensors", sourcePath: "fuzz.onnx", sourceSHA256: String(repeating: "0", count: 64))
    let imported = ONNXImport.run(ONNXModelProtoBox(decoded), options: options, specPath: "imported.yaml")
    if imported.problems.contains(where: { $0.contains("which is a bug in cnnc's importer") }) {
        fatalError("\(imported.problems.joined(separator: "\n"))\n\(text)")
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
