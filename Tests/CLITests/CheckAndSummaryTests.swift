import Foundation
import Testing

@Suite struct CheckCommandTests {
    static let models = ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("models").path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted().map { "models/" + $0 }

    static let invalidSpecs = ((try? FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Tests/Fixtures/invalid").path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted().map { "Tests/Fixtures/invalid/" + $0 }

    /// The folders behind the parameterised tests here and in GeneratedInferencerTests: an empty or
    /// missing folder must fail, not pass with no arguments.
    @Test func theModelsAndTheInvalidSpecsAreHere() {
        #expect(Self.models.count >= 12, "\(Self.models)")
        #expect(Self.invalidSpecs.count >= 140, "\(Self.invalidSpecs.count) invalid specs")
    }

    @Test func everyBundledModelChecksSilentlyExceptOk() throws {
        let result = try cnnc(arguments: ["check"] + Self.models)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        #expect(result.stdout == Self.models.map { "\($0): ok\n" }.joined())
    }

    @Test(arguments: invalidSpecs)
    func invalidSpecFailsWithALocatedError(_ spec: String) throws {
        let result = try cnnc("check", spec)
        #expect(result.status == 1, "\(spec) exited \(result.status)")
        #expect(result.stdout.isEmpty)
        let located = result.stderr.split(separator: "\n").contains { line in
            line.hasPrefix("\(spec):") && line.contains(": error: ") && line.split(separator: ":").count >= 4
        }
        #expect(located, "no file:line:col: error: line in\n\(result.stderr)")
    }

    @Test func anUnusedBranchIsAWarningAndTheSpecIsValid() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = directory.appendingPathComponent("unused.yaml")
        try """
            name: unused
            input: {channels: 1, height: 8, width: 8}
            output: features
            layers:
              - conv: {name: features, channels: 2, kernel: 3}
              - flatten
              - dense: {units: 3, activation: relu}

            """.write(to: spec, atomically: true, encoding: .utf8)
        let result = try cnnc("check", spec.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "\(spec.path): ok\n")
        #expect(result.stderr.hasPrefix("\(spec.path):6:5: warning: 'flatten1' is unused: its result never reaches the output, so it does not run, nor do the 2 layers that depend on it\n"),
                "\(result.stderr)")
    }

    @Test func missingFileIsAnIOErrorWithItsOwnStatus() throws {
        let result = try cnnc("check", "models/seed.yaml", "no/such/file.yaml")
        #expect(result.status == 2)
        #expect(result.stdout == "models/seed.yaml: ok\n")
        #expect(result.stderr == "cnnc: error: no/such/file.yaml: cannot read: No such file or directory\n")
    }

    @Test func directoryIsAnIOError() throws {
        let result = try cnnc("check", "models")
        #expect(result.status == 2)
        #expect(result.stderr == "cnnc: error: models: is a directory, not a file\n")
    }

    @Test func usageErrorsExitWithTwo() throws {
        let noArguments = try cnnc("check")
        #expect(noArguments.status == 2)
        #expect(noArguments.stderr.contains("Usage: cnnc check"))
        let unknownFlag = try cnnc("summary", "models/seed.yaml", "--format", "xml")
        #expect(unknownFlag.status == 2)
        #expect(unknownFlag.stderr.contains("xml"))
    }

    @Test func mixedValidAndInvalidSpecsReportEach() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.yaml")
        try "name: bad\ninput: {channels: 1, height: 4, width: 4}\nlayers: [{conv: {channels: 2, kernel: 5}}]\n".write(to: bad, atomically: true, encoding: .utf8)
        let result = try cnnc("check", "models/seed.yaml", bad.path)
        #expect(result.status == 1)
        #expect(result.stdout == "models/seed.yaml: ok\n")
        #expect(result.stderr == """
            \(bad.path):3:11: error: 'conv1': the 5×5 kernel does not fit its input: its height 5 exceeds the input height 4; its width 5 exceeds the input width 4
            layers: [{conv: {channels: 2, kernel: 5}}]
                      ^~~~
            \(bad.path):2:1: note: the input is 1×4×4
            input: {channels: 1, height: 4, width: 4}
            ^~~~~
            \(bad.path): 1 error

            """)
    }
}

@Suite struct SummaryCommandTests {
    @Test func lenet5Has61706Parameters() throws {
        let result = try cnnc("summary", "models/lenet5.yaml")
        #expect(result.status == 0)
        #expect(result.stdout.contains("Total params:           61,706\n"))
    }

    /// torchinfo's figures: trainable vs fixed (inline) parameters, mult-adds with units, and the size
    /// block, scaled by --batch; every bundled model's table fits 100 columns when not a terminal.
    @Test func theTotalsReadLikeTorchinfosAndTheTableFits100Columns() throws {
        let blur = try cnnc("summary", "models/blur.yaml")
        #expect(blur.stdout.contains("Trainable params:       0\nFixed params:           9 (given inline in the spec)\n"), "\(blur.stdout)")
        let lenet = try cnnc("summary", "models/lenet5.yaml", "--batch", "64")
        #expect(lenet.stdout.contains("Mult-adds:              26,657,280 (26.66 M) for a batch of 64\n"), "\(lenet.stdout)")
        #expect(lenet.stdout.contains("Input size:             262,144 bytes (256.0 KiB)\n"))
        #expect(lenet.stdout.contains("Params size:            246,824 bytes (241.0 KiB; float32)\n"))
        #expect(lenet.stdout.contains("Input → output:         1×32×32 → 10\n"))
        for model in CheckCommandTests.models {
            let table = try cnnc("summary", model)
            let widest = table.stdout.split(separator: "\n").map(\.count).max() ?? 0
            #expect(widest <= 100, "\(model): \(widest) columns")
        }
        let chosen = try cnnc("summary", "models/lenet5.yaml", "--columns", "name,kernel,params")
        #expect(chosen.stdout.contains("name      kernel    params\n"), "\(chosen.stdout)")
        let wrong = try cnnc("summary", "models/lenet5.yaml", "--columns", "nme")
        #expect(wrong.status == 2 && wrong.stderr.contains("unknown column 'nme' for --columns; did you mean 'name'?"), "\(wrong.stderr)")
    }

    @Test func seedShowsThe1470ParameterDenseLayer() throws {
        let result = try cnnc("summary", "models/seed.yaml")
        let dense = result.stdout.split(separator: "\n").first { $0.contains("dense1") }
        #expect(dense?.contains(" 1,470 ") == true, "\(result.stdout)")
    }

    @Test func jsonIsValidAndCarriesTheTotals() throws {
        let result = try cnnc("summary", "models/lenet5.yaml", "--format", "json")
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "cnnc.summary/2")
        let totals = try #require(object["totals"] as? [String: Any])
        #expect(totals["parameters"] as? Int == 61_706)
        #expect((object["layers"] as? [Any])?.count == 12)
    }

    @Test func summaryOfAnInvalidSpecPrintsDiagnosticsAndExitsOne() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = directory.appendingPathComponent("bad.yaml")
        try "name: bad\ninput: {channels: 1, height: 4, width: 4}\nlayers: [flatten, {dense: {units: 2, in_features: 3}}]\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let result = try cnnc("summary", bad.path)
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(": error: "))
    }

    @Test func helpShowsExamples() throws {
        let root = try cnnc("--help")
        #expect(root.status == 0)
        #expect(root.stdout.contains("cnnc summary models/lenet5.yaml"))
        for command in ["check", "summary"] {
            let help = try cnnc(command, "--help")
            #expect(help.status == 0)
            #expect(help.stdout.contains("Examples:"), "\(command) --help has no example")
        }
    }
}

/// Usage errors: one error style, a suggestion for a misspelt command, "See --help" once.
@Suite struct UsageErrorTests {
    @Test func aMisspeltCommandGetsASuggestion() throws {
        let result = try cnnc("chek", "models/lenet5.yaml")
        #expect(result.status == 2)
        #expect(result.stderr == "cnnc: error: unknown command 'chek'; did you mean 'check'?\nSee 'cnnc --help'.\n")
        let unknown = try cnnc("frobnicate")
        #expect(unknown.stderr == "cnnc: error: unknown command 'frobnicate'\nSee 'cnnc --help'.\n")
    }

    @Test func everyUsageErrorHasTheToolsErrorStyleAndOneHelpHint() throws {
        for arguments in [["check"], ["run", "models/blur.yaml", "--top", "x"], ["summary", "models/blur.yaml", "--format", "foo"], ["--bogus"]] {
            let result = try cnnc(arguments: arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.hasPrefix("cnnc: error: "), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Error:"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.components(separatedBy: "--help").count == 2, "\(arguments): \(result.stderr)")
        }
    }
}

extension UsageErrorTests {
    /// Help examples are copied into shells: none may wrap inside a command at 80 columns (a long
    /// one continues with a backslash instead).
    @Test func helpExamplesNeverWrapInsideACommand() throws {
        for command in ["", "check", "summary", "diagram", "init-weights", "run", "generate", "build", "import", "export"] {
            let result = try run(cnncBinary, (command.isEmpty ? [] : [command]) + ["--help"], environment: ["COLUMNS": "80"])
            let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            guard let start = lines.firstIndex(where: { $0 == "Examples:" }) else {
                Issue.record("\(command): no Examples section")
                continue
            }
            var continues = false
            for line in lines[(start + 1)...].prefix(while: { !$0.isEmpty }) {
                #expect(line.count <= 80, "\(command): \(line)")
                if continues {
                    #expect(line.hasPrefix("      "), "\(command): \(line)")
                } else {
                    #expect(line.hasPrefix("  ") && !line.hasPrefix("   "), "\(command): a wrapped example: \(line)")
                }
                continues = line.hasSuffix("\\")
            }
        }
    }
}

@Suite struct DiagramCommandTests {
    @Test func theFormatFollowsTheExtensionAndStandardOutputIsTheDefault() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (file, start) in [("net.svg", "<?xml"), ("net.dot", "digraph"), ("net.gv", "digraph"), ("net.mmd", "flowchart TD")] {
            let path = directory.appendingPathComponent(file).path
            let result = try cnnc("diagram", "models/resnet_cifar.yaml", "-o", path)
            #expect(result.status == 0 && result.stdout == "wrote \(path)\n", "\(file): \(result.stderr)")
            #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix(start), "\(file)")
        }
        let printed = try cnnc("diagram", "models/lenet5.yaml")
        #expect(printed.status == 0 && printed.stdout.hasPrefix("<?xml") && printed.stdout.contains(">c1<"))
        let mermaid = try cnnc("diagram", "models/lenet5.yaml", "--format", "mermaid")
        #expect(mermaid.stdout.hasPrefix("flowchart TD\n"))
        let png = try cnnc("diagram", "models/lenet5.yaml", "-o", directory.appendingPathComponent("net.png").path)
        #expect(png.status == 2 && png.stderr.contains("cannot tell the format from '.png'"), "\(png.stderr)")
        let invalid = try cnnc("diagram", "Tests/Fixtures/invalid/66-dense-on-spatial-input.yaml", "-o", directory.appendingPathComponent("x.svg").path)
        #expect(invalid.status == 1 && invalid.stderr.contains(": error: "))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["net.dot", "net.gv", "net.mmd", "net.svg"])
    }
}
