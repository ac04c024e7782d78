@testable import CNNCCore
import Testing

@Suite struct SpecDecoderTests {
    func names(_ pipeline: SpecPipeline) -> [String] {
        pipeline.spec?.layers.map(\.name) ?? []
    }

    @Test func defaultNamesCountEveryLayerOfTheirKind() {
        let pipeline = network("conv: {name: stem, channels: 2, kernel: 3}", "relu", "conv: {channels: 2, kernel: 3}", "relu6", "relu6", "relu")
        #expect(names(pipeline) == ["stem", "relu1", "conv2", "relu6_1", "relu6_2", "relu2"])
    }

    @Test func activationSugarAddsANamedLayerRightAfterItsParent() throws {
        let pipeline = network("relu", "conv: {channels: 2, kernel: 3, activation: relu}", "conv: {channels: 2, kernel: 1, activation: {leaky_relu: {alpha: 0.2}}}")
        #expect(names(pipeline) == ["relu1", "conv1", "relu2", "conv2", "leaky_relu1"])
        let layers = try #require(pipeline.spec?.layers)
        #expect(layers[2].sugarParent == 1)
        guard case .activation(.leakyReLU(let alpha)) = layers[4].kind else {
            Issue.record("expected leaky_relu")
            return
        }
        #expect(alpha == 0.2)
    }

    @Test func explicitNameTakingALaterDefaultNameIsAnErrorAtTheExplicitName() throws {
        let pipeline = network("relu", "conv: {name: relu2, channels: 1, kernel: 1}", "relu")
        #expect(errorLines(pipeline) == ["5:18: layer name 'relu2' is taken by default by a later layer"])
        let note = try #require(pipeline.diagnostics.all.first?.notes.first)
        #expect(note.location?.start.line == 6)
        #expect(note.message == "the 2nd 'relu' layer is named 'relu2' by default; rename one of them")
    }

    @Test func explicitNamesUsedTwiceAreAnErrorAtTheSecond() throws {
        let pipeline = network("relu: {name: a}", "relu: {name: a}")
        #expect(errorLines(pipeline) == ["5:18: layer name 'a' is already taken"])
        #expect(pipeline.diagnostics.all.first?.notes.first?.location?.start.line == 4)
    }

    @Test func aFailedLayerKeepsItsPlaceInTheDefaultNames() {
        // The first conv fails; the third is still conv3, so the explicit conv2 collides with nothing.
        let pipeline = network("conv: {channels: \"8\", kernel: 3}", "conv: {name: conv2, channels: 8, kernel: 3}", "conv: {channels: 8, kernel: 3}")
        #expect(errorLines(pipeline) == ["4:22: 'channels' must be an integer, got the string \"8\""])
    }

    @Test func bareAndNullLayersTakeDefaults() throws {
        let pipeline = network("relu", "relu:", "leaky_relu", "elu:", "batchnorm", "dropout")
        let kinds = try #require(pipeline.spec?.layers.map(\.kind))
        guard case .activation(.leakyReLU(let alpha)) = kinds[2], case .activation(.elu(let eluAlpha)) = kinds[3],
              case .batchNorm(let batchNorm) = kinds[4], case .dropout(let rate) = kinds[5] else {
            Issue.record("unexpected kinds \(kinds)")
            return
        }
        #expect(alpha == 0.01)
        #expect(eluAlpha == 1.0)
        #expect(batchNorm.eps == 1e-5)
        #expect(rate == 0)
    }

    @Test(arguments: [
        ("1", Padding(top: 1, bottom: 1, left: 1, right: 1)),
        ("[1, 2]", Padding(top: 1, bottom: 1, left: 2, right: 2)),
        ("[0, 1, 2, 3]", Padding(top: 0, bottom: 1, left: 2, right: 3)),
        ("valid", Padding.zero),
    ])
    func paddingForms(_ text: String, _ expected: Padding) throws {
        let pipeline = network("conv: {channels: 1, kernel: 3, padding: \(text)}")
        let layer = try #require(pipeline.network?.layers.first)
        guard case .conv(let conv) = layer.operation else { return }
        #expect(conv.window.padding == expected)
    }

    @Test func typeAndRangeErrorsPointAtTheValue() {
        let pipeline = compile("""
            name: t
            input: {channels: 1, height: 28, width: 28}
            layers:
              - conv: {channels: "3", kernel: 3.0, stride: 0, groups: 99999999999}
              - dropout: {rate: 1}
              - leaky_relu: {alpha: yes}
            """)
        #expect(errorLines(pipeline) == [
            "4:22: 'channels' must be an integer, got the string \"3\"",
            "4:35: 'kernel' must be an integer, got the number 3.0; write 3 without the fraction",
            "4:48: 'stride' must be at least 1, got 0",
            "4:59: 'groups' is 99,999,999,999, more than the largest allowed, 2,147,483,647",
            "5:21: 'rate' must be at least 0 and below 1, got 1",
            "6:25: 'alpha' must be a number, got the string \"yes\"",
        ])
    }

    @Test func unknownKeysAndKindsSuggestTheClosestName() {
        let pipeline = network("conv: {channels: 1, kernal: 3}", "linear: {units: 3}", "maxpool: {kernel: 2, strides: 2}")
        #expect(errorLines(pipeline) == [
            "4:25: unknown option 'kernal' for 'conv'; did you mean 'kernel'?",
            "5:5: unknown layer kind 'linear'; did you mean 'dense'?",
            "6:26: unknown option 'strides' for 'maxpool'; did you mean 'stride'?",
        ])
    }

    @Test func layerMappingWithTwoKeysExplainsTheIndentation() {
        let pipeline = compile("name: t\ninput: {channels: 1, height: 4, width: 4}\nlayers:\n  - conv:\n    channels: 3\n")
        #expect(errorLines(pipeline) == ["5:5: a layer is a mapping with exactly one key, its kind; found 2 keys ('conv', 'channels')"])
    }

    @Test func missingTopLevelKeysAndUnknownOnes() {
        let pipeline = compile("nme: t\ninput: {channels: 1, height: 4, width: 4}\n")
        #expect(errorLines(pipeline) == [
            "1:1: unknown top-level key 'nme'; did you mean 'name'?",
            "1:1: the spec is missing 'layers', the list of layers",
        ])
    }

    @Test func paddingValueNeedsConstantMode() {
        let pipeline = network("conv: {channels: 1, kernel: 3, padding: 1, padding_mode: reflect, padding_value: 2}")
        #expect(errorLines(pipeline) == ["4:71: 'padding_value' applies only with padding_mode: constant (here the mode is 'reflect')"])
        let constant = network("conv: {channels: 1, kernel: 3, padding: 1, padding_mode: constant, padding_value: -1.5}")
        guard case .conv(let conv)? = constant.network?.layers.first?.operation else {
            Issue.record("expected a conv")
            return
        }
        #expect(conv.paddingMode == .constant(-1.5))
    }

    @Test func inlineWeightsKeepTheirNestingAsShape() throws {
        let pipeline = network("conv: {channels: 1, kernel: 2, weight: [[1, 2], [3, 4]], bias: [0.5], normalize: true}")
        guard case .conv(let conv)? = pipeline.spec?.layers.first?.kind else {
            Issue.record("expected a conv: \(errorLines(pipeline))")
            return
        }
        #expect(conv.weight?.tensor.shape == [2, 2])
        #expect(conv.weight?.tensor.values == [1, 2, 3, 4])
        #expect(conv.weight?.normalize == true)
        #expect(conv.bias.inline?.values == [0.5])
        let ragged = network("conv: {channels: 1, kernel: 2, weight: [[1, 2], [3]]}")
        #expect(errorLines(ragged) == ["4:53: 'weight' is not rectangular: this list has 1 entry, its first sibling 2"])
    }

    @Test func namesMayHoldAnyPrintableCharacters() {
        let pipeline = network("relu: {name: \"features.0 \\\"q\\\" */ é\"}")
        #expect(names(pipeline) == ["features.0 \"q\" */ é"])
        let bad = network("relu: {name: \"a\\nb\"}")
        #expect(errorLines(bad) == ["4:18: 'name' must not contain control characters, line breaks or bidirectional controls (found U+000A)"])
    }

    /// The limit is checked before the labels are; 65,536 is fine.
    @Test func labelsAreLimitedTo65536() {
        func spec(_ count: Int) -> String {
            "name: t\ninput: {channels: 1, height: 1, width: 1}\nlayers:\n  - flatten: {}\n  - dense: {units: \(count)}\nlabels: [" + Array(repeating: "x", count: count).joined(separator: ", ") + "]\n"
        }
        #expect(errorLines(compile(spec(65_537))) == ["6:9: 'labels' has 65537 entries; at most 65536 are allowed"])
        #expect(errorLines(compile(spec(65_536))) == [])
    }

    /// 262,145 layers of 2⁴⁵ MACs each overflowed the summary's total (SIGILL); the layer count is
    /// limited first, which bounds every total.
    @Test func layersAreLimitedTo10000Entries() {
        func spec(_ count: Int) -> String {
            "name: t\ninput: {channels: 1, height: 1, width: 1}\nlayers:\n" + String(repeating: "  - relu\n", count: count)
        }
        #expect(errorLines(compile(spec(10_001))) == ["4:3: 'layers' has 10001 entries; at most 10000 are allowed"])
        #expect(errorLines(compile(spec(10_000))) == [])
    }

    /// A 25 KB name of combining marks passed the limit, which counted grapheme clusters.
    @Test func nameLengthCountsUnicodeScalars() {
        let marks = "a" + String(repeating: "\u{301}", count: 200)  // one grapheme, 201 scalars
        #expect(marks.count == 1)
        #expect(errorLines(network("relu: {name: \"\(marks)\"}")) == ["4:18: 'name' is 201 Unicode scalars long; the limit is 128"])
        #expect(errorLines(network("relu: {name: \"\(String(repeating: "é", count: 128))\"}")) == [])
    }
}


/// More errors per run: a newcomer's independent mistakes are all reported at once.
@Suite struct IndependentErrorsTests {
    func errors(_ text: String) -> [String] {
        SpecPipeline.run(SourceFile(path: "s.yaml", text: text)).diagnostics.sorted.filter { $0.severity == .error }.map {
            "\($0.location.map { "\($0.start.line):\($0.start.column)" } ?? "-") \($0.message)"
        }
    }

    @Test func fourMistakesInTheOptionsAreFourErrors() {
        let found = errors("""
            name: newbie
            input: {channels: 1, height: 28, width: 28}
            layers:
              - conv: {channels: 8, kernel: 3x3, activation: ReLU}
              - maxpool: {kernel: 2, strid: 2}
              - conv: {channels: 8, kernel: 3, padding: sme}
            """)
        #expect(found.count == 4, "\(found)")
        #expect(found.contains { $0.hasPrefix("4:33 'kernel' must be") })
        #expect(found.contains { $0.hasPrefix("4:50 unknown activation 'ReLU'; did you mean 'relu'?") })
        #expect(found.contains { $0.hasPrefix("5:26 unknown option 'strid'") })
        #expect(found.contains { $0.hasPrefix("6:45 'padding' must be") })
    }

    @Test func aFailedClassifierStillHasItsLabelsChecked() {
        let found = errors("""
            name: newbie
            input: {channels: 1, height: 8, width: 8}
            layers:
              - conv: {channels: 2, kernel: 3}
              - dense: {units: 3}
              - softmax
            labels: [a, b]
            """)
        #expect(found == ["5:5 'dense1' needs a flat input, but 'conv1' produces 2×6×6",
                          "7:9 'labels' has 2 entries, but the network produces 3 classes (3×1×1)"], "\(found)")
    }
}

/// Fix-its are edits that work: applying a spec's fix-its leaves a spec with no errors.
@Suite struct FixItTests {
    /// `text` with every fix-it applied, last first so earlier positions stay valid.
    func applying(_ fixIts: [Diagnostic.FixIt], to text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).unicodeScalars) }
        for fixIt in fixIts.sorted(by: { $0.location.range.start > $1.location.range.start }) {
            let range = fixIt.location.range
            #expect(range.start.line == range.end.line, "one-line edits only")
            let line = range.start.line - 1
            let replaced = Array(lines[line][..<(range.start.column - 1)]) + Array(fixIt.replacement.unicodeScalars)
                + Array(lines[line][(range.end.column - 1)...])
            lines[line] = replaced
        }
        return lines.map { String(String.UnicodeScalarView($0)) }.joined(separator: "\n")
    }

    @Test(arguments: [
        "  - conv: {channels: 4, kernel: 3x3}\n  - flatten\n  - dense: {units: 2}",
        "  - conv: {channels: 4, kernal: 3}\n  - flatten\n  - dense: {units: 2}",
        "  - conv2d: {channels: 4, kernel: 3}\n  - flatten\n  - dense: {units: 2}",
        "  - conv: {channels: 4, kernel: 3, padding: sme}\n  - flatten\n  - dense: {units: 2}",
        "  - conv: {channels: 4, kernel: 3, activation: ReLU}\n  - flatten\n  - dense: {units: 2}",
        "  - conv: {channels: 4, kernel: 3}\n  - dense: {units: 2}",
        "  - conv: {name: stem, channels: 4, kernel: 3}\n  - relu: {from: stme}\n  - flatten\n  - dense: {units: 2}",
        "  - conv: {channels: 4, kernel: 3, activation: ReLU}\n  - dense: {units: 2}",
    ])
    func applyingTheFixItsFixesTheSpec(_ layers: String) {
        var text = "name: fix\ninput: {channels: 1, height: 6, width: 6}\nlayers:\n" + layers + "\n"
        var rounds = 0
        while true {
            let diagnostics = SpecPipeline.run(SourceFile(path: "f.yaml", text: text)).diagnostics.sorted
            guard diagnostics.contains(where: { $0.severity == .error }) else { break }
            let fixIts = diagnostics.flatMap(\.fixIts)
            #expect(!fixIts.isEmpty, "no fix-it for: \(diagnostics.map(\.message))")
            if fixIts.isEmpty || rounds == 3 { break }
            text = applying(fixIts, to: text)
            rounds += 1
        }
        #expect(SpecPipeline.run(SourceFile(path: "f.yaml", text: text)).network != nil, "\(text)")
    }
}
