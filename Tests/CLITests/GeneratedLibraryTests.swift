import CNNCRuntime
import Foundation
import Testing
import TestTolerance

/// The generated package as a library in someone else's app (docs/codegen.md): two networks in one
/// app, one by path and one by a git URL with a tag, built in debug and in release sharing one
/// scratch folder; their predictions equal the inferencers' and concurrent calls equal serial ones.
/// And the default build's processor target, proven by disassembly and by running under qemu.
@Suite struct GeneratedLibraryTests {
    static let appSource = #"""
        import Digits
        import DigitsRuntime  // NPY
        import Lenet5

        let arguments = CommandLine.arguments
        // digits: an image file, through the spec's preprocessing.
        let digit = try Digits().predict(contentsOf: arguments[1])
        try NPY.write(path: arguments[3] + "/digits.npy", shape: [digit.count, Digits.outputCount], values: digit.flatMap(\.values))
        print("digits top:", digit[0].top(1)[0].label, digit[0].probabilities != nil)

        // lenet5: a batch of raw inputs, serially, from 48 concurrent tasks on one value, and as a batch.
        let lenet = Lenet5()
        let batch = try NPY.read(path: arguments[2])
        let samples = (0..<batch.shape[0]).map { Array(batch.values[$0 * Lenet5.inputCount..<($0 + 1) * Lenet5.inputCount]) }
        let serial = try samples.map { try lenet.predict($0).values }
        try NPY.write(path: arguments[3] + "/lenet5.npy", shape: [samples.count, Lenet5.outputCount], values: serial.flatMap { $0 })
        let concurrent = await withTaskGroup(of: (Int, [Float]).self) { group in
            for call in 0..<48 { group.addTask { (call, try! lenet.predict(samples[call % samples.count]).values) } }
            var agree = true
            for await (call, values) in group where values != serial[call % samples.count] { agree = false }
            return agree
        }
        print("concurrent calls agree:", concurrent)
        // One value running each sample on three threads: the same outputs, also from 48 concurrent
        // tasks (one holds the pool, the others run alone meanwhile).
        let threaded = Lenet5(threads: 3)
        let threadedSerial = try samples.map { try threaded.predict($0).values }
        let threadedConcurrent = await withTaskGroup(of: (Int, [Float]).self) { group in
            for call in 0..<48 { group.addTask { (call, try! threaded.predict(samples[call % samples.count]).values) } }
            var agree = true
            for await (call, values) in group where values != serial[call % samples.count] { agree = false }
            return agree
        }
        print("threaded calls agree:", threaded.threads, threadedSerial == serial, threadedConcurrent)
        print("batch agrees:", try await lenet.predict(batch: samples).map(\.values) == serial)
        do {
            _ = try lenet.predict([1, 2, 3])
            print("a wrong size did not throw")
        } catch {
            print("wrong size:", error)
        }
        """#

    @Test func twoNetworksInOneAppByPathAndByGitTagInDebugAndRelease() async throws {
        let digits = try await SharedBuilds.shared.binary(for: "models/digits.yaml", inlineWeights: true)
        let lenet = try await SharedBuilds.shared.binary(for: "models/lenet5.yaml")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let digitsPackage = directory.appendingPathComponent("digits")
        let lenetPackage = directory.appendingPathComponent("lenet5")
        for (spec, package, weights) in [("models/digits.yaml", digitsPackage, nil), ("models/lenet5.yaml", lenetPackage, lenet.weights)] {
            let generated = try cnnc(arguments: ["generate", spec, "-o", package.path] + (weights.map { ["--weights", $0.path] } ?? []))
            #expect(generated.status == 0, "\(generated.stderr)")
            let manifest = try String(contentsOf: package.appendingPathComponent("Package.swift"), encoding: .utf8)
            #expect(!manifest.contains("unsafeFlags"), "\(manifest)")
        }
        let git = URL(fileURLWithPath: "/usr/bin/env")
        for arguments in [["init", "-q"], ["add", "-A"], ["-c", "user.name=cnnc", "-c", "user.email=cnnc@localhost", "commit", "-qm", "lenet5"], ["tag", "1.0.0"]] {
            let result = try run(git, ["git"] + arguments, in: lenetPackage)
            #expect(result.status == 0, "git \(arguments): \(result.stderr)")
        }
        let app = directory.appendingPathComponent("app")
        try FileManager.default.createDirectory(at: app.appendingPathComponent("Sources/App"), withIntermediateDirectories: true)
        try """
            // swift-tools-version: 6.0
            import PackageDescription
            let package = Package(
                name: "App",
                platforms: [.macOS(.v15)],
                dependencies: [
                    .package(path: "../digits"),
                    .package(url: "\(lenetPackage.absoluteString)", from: "1.0.0"),
                ],
                targets: [
                    .executableTarget(name: "App", dependencies: [
                        .product(name: "Digits", package: "digits"),
                        .product(name: "Lenet5", package: "lenet5"),
                    ]),
                ]
            )
            """.write(to: app.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        try Self.appSource.write(to: app.appendingPathComponent("Sources/App/main.swift"), atomically: true, encoding: .utf8)

        // What the inferencers say.
        let image = repositoryRoot.appendingPathComponent("models/digits-7.pgm").path
        let inputs = directory.appendingPathComponent("inputs.npy")
        try writeRandomInputs(inputs, shape: [5, 1, 32, 32], seed: 10)
        let expected = directory.appendingPathComponent("expected")
        try FileManager.default.createDirectory(at: expected, withIntermediateDirectories: true)
        for (binary, input, output) in [(digits.binary, image, "digits.npy"), (lenet.binary, inputs.path, "lenet5.npy")] {
            let result = try run(binary, ["--input", input, "--output", expected.appendingPathComponent(output).path])
            #expect(result.status == 0, "\(result.stderr)")
        }

        let scratch = directory.appendingPathComponent("scratch")
        let swift = URL(fileURLWithPath: "/usr/bin/env")
        for configuration in ["debug", "release"] {
            let built = try run(swift, ["swift", "build", "-c", configuration, "--scratch-path", scratch.path], in: app)
            try #require(built.status == 0, "swift build -c \(configuration):\n\(built.stdout)\(built.stderr)")
            let outputs = directory.appendingPathComponent(configuration)
            try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
            let ran = try run(scratch.appendingPathComponent("\(configuration)/App"), [image, inputs.path, outputs.path])
            #expect(ran.status == 0, "\(configuration): \(ran.stderr)")
            #expect(ran.stdout.contains("digits top: 7 true"), "\(configuration): \(ran.stdout)")
            #expect(ran.stdout.contains("concurrent calls agree: true"), "\(configuration): \(ran.stdout)")
            #expect(ran.stdout.contains("threaded calls agree: 3 true true"), "\(configuration): \(ran.stdout)")
            #expect(ran.stdout.contains("batch agrees: true"), "\(configuration): \(ran.stdout)")
            #expect(ran.stdout.contains("wrong size: Lenet5: expected 1024 input values (1×32×32), got 3"), "\(configuration): \(ran.stdout)")
            for name in ["digits.npy", "lenet5.npy"] {
                let library = try NPY.read(path: outputs.appendingPathComponent(name).path)
                let inferencer = try NPY.read(path: expected.appendingPathComponent(name).path)
                #expect(library.shape == inferencer.shape, "\(configuration) \(name)")
                expectClose(library.values, inferencer.values, "\(configuration) \(name)")
            }
        }
    }

    #if arch(x86_64)
    @Test func cpuNamesAreCheckedAndPortableIsTheBaseline() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let unknown = try cnnc("generate", "models/blur.yaml", "--cpu", "pentium9", "-o", directory.appendingPathComponent("a").path)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("cnnc: error: --cpu pentium9: not a processor the Swift compiler knows"), "\(unknown.stderr)")
        let malformed = try cnnc("generate", "models/blur.yaml", "--cpu", "a b;c", "-o", directory.appendingPathComponent("b").path)
        #expect(malformed.status == 2)
        #expect(malformed.stderr == "cnnc: error: --cpu 'a b;c' is not a processor name\n", "\(malformed.stderr)")
        let both = try cnnc("build", "models/blur.yaml", "--portable", "--cpu", "native", "-o", directory.appendingPathComponent("c").path)
        #expect(both.status == 2)
        #expect(both.stderr.contains("--portable means --cpu x86-64; it cannot go with --cpu native"), "\(both.stderr)")
        let portable = try cnnc("generate", "models/blur.yaml", "--portable", "-o", directory.appendingPathComponent("d").path)
        #expect(portable.status == 0, "\(portable.stderr)")
        #expect(portable.stdout.contains("network compiled for x86-64\n"), "\(portable.stdout)")
        let readme = try String(contentsOf: directory.appendingPathComponent("d/README.md"), encoding: .utf8)
        #expect(readme.contains("`-target-cpu x86-64`"))
    }
    #endif

    /// The toolchain's llvm-objdump.
    static func objdump() throws -> URL { try toolchainTool("llvm-objdump") }

    #if arch(x86_64)
    /// Registers and encodings that only AVX-512 has: zmm, the mask registers, xmm/ymm 16–31, broadcasts.
    static let beyondAVX2 = #"%zmm|%k[0-7]\b|%[xy]mm(1[6-9]|2[0-9]|3[01])\b|\{1to[0-9]+\}"#

    @Test func theDefaultBuildUsesFMAAndNothingBeyondAVX2OutsideItsAVX512Compilation() async throws {
        let built = try await SharedBuilds.shared.binary(for: "models/lenet5.yaml")
        let beyondAVX2 = try Regex(Self.beyondAVX2)
        // The kernels: the network's compiled library in the build directory, where every function keeps
        // its name, once in the x86-64-v3 compilation and once in the x86-64-v4 one.
        let library = try #require(try SharedBuilds.networkLibraries(of: "lenet5").first, "no lenet5 build in \(SharedBuilds.cacheDirectory)")
        let kernels = try run(try Self.objdump(), ["-d", "--no-show-raw-insn", library.path])
        try #require(kernels.status == 0, "\(kernels.stderr)")
        let kernelLines = kernels.stdout.split(separator: "\n")
        #expect(kernelLines.contains { $0.contains("vfmadd") }, "the kernels use fused multiply-adds")
        let fmafCalls = kernelLines.filter { $0.contains("call") && $0.contains("fmaf") }
        #expect(fmafCalls.isEmpty, "\(fmafCalls.count) calls to fmaf in the kernels, e.g. \(fmafCalls.prefix(3))")
        let libraryBeyond = kernelLines.filter { $0.contains(beyondAVX2) }.count
        #expect(libraryBeyond > 0, "the x86-64-v4 compilation uses AVX-512")
        // Each compilation as linked before the two were put together (`CoreLibraryBuilder`), beside the
        // package in the build folder: the x86-64-v3 one has no AVX-512 instruction, and the x86-64-v4
        // one has all of the library's (functions only it has, `convolveDirectWide`, included).
        let package = library.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var beyondPerCompilation: [Int] = []
        for place in [".build/cnnc-core", ".build/cnnc-core/avx512"] {
            let object = package.appendingPathComponent(place).appendingPathComponent("renamed.o")
            let compilation = try run(try Self.objdump(), ["-d", "--no-show-raw-insn", object.path])
            try #require(compilation.status == 0, "\(object.path): \(compilation.stderr)")
            let lines = compilation.stdout.split(separator: "\n")
            #expect(lines.contains { $0.contains("vfmadd") }, "\(place): the kernels use fused multiply-adds")
            beyondPerCompilation.append(lines.filter { $0.contains(beyondAVX2) }.count)
        }
        #expect(beyondPerCompilation == [0, libraryBeyond], "instructions beyond x86-64-v3 in the x86-64-v3 and x86-64-v4 compilations, of \(libraryBeyond) in the library")
        // The whole binary (stripped): no AVX-512 instruction beyond those of the network's library, so
        // none in the runtime or the Swift library. (The qemu test below runs it on a Haswell.)
        let disassembly = try run(try Self.objdump(), ["-d", "--no-show-raw-insn", built.binary.path])
        try #require(disassembly.status == 0, "\(disassembly.stderr)")
        let lines = disassembly.stdout.split(separator: "\n")
        #expect(lines.count > 10_000, "a disassembly of the whole binary")
        let binaryBeyond = lines.filter { $0.contains(beyondAVX2) }.count
        #expect(binaryBeyond <= libraryBeyond, "\(binaryBeyond) instructions beyond x86-64-v3 in the binary, \(libraryBeyond) in the network's library")
    }

    /// Whether this processor has AVX-512 (its foundation), from /proc/cpuinfo.
    static let hostHasAVX512 = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
        .split(separator: "\n").contains { $0.hasPrefix("flags") && $0.split(separator: " ").contains("avx512f") }

    @Test func theDefaultBuildCarriesAnAVX512CompilationThatAgreesWithItsAVX2One() async throws {
        // avx512.yaml has a direct layer (rows of sixteen), a GEMM and a channel-lane layer.
        let spec = "Tests/Fixtures/codegen/avx512.yaml"
        let built = try await SharedBuilds.shared.binary(for: spec)
        // The network library, whose functions keep their names, once per compilation: the GEMM's
        // `multiplyBlock` and the channel-lane kernel's `channelLaneSums`, both out of line,
        // and the step of the layer named `direct`, which holds its direct kernel inlined.
        let copies = try Self.multiplyAdds(in: "avx512", steps: ["direct"],
                                           functions: ["multiplyBlock", "channelLaneSums", "channelLanePairSumsOfSeven", "channelLanePairSums"])
        // Two blocks of channels at once, an AVX-512 compilation's alone: twelve zmm multiply-adds a term
        // for six pixels, fourteen for seven.
        for (name, sums) in [("channelLanePairSums", 12), ("channelLanePairSumsOfSeven", 14)] {
            let pairs = copies.filter { $0.name == name }
            #expect(pairs.count == 1 && pairs[0].zmm >= sums && pairs[0].ymm == 0, "\(name): \(pairs)")
        }
        for name in ["multiplyBlock", "channelLaneSums", "direct step"] {
            let found = copies.filter { $0.name == name }
            // Six rows of a register block, six pixels of sixteen channels, or six channels of three
            // vectors of pixels: six zmm multiply-adds at least in the x86-64-v4 copy; none in the
            // x86-64-v3 one, which must run without AVX-512.
            #expect(found.contains { $0.zmm >= 6 }, "\(name): no copy multiplies 512-bit vectors: \(found)")
            #expect(found.contains { $0.zmm == 0 && $0.ymm >= 6 }, "\(name): no copy multiplies only 256-bit vectors: \(found)")
        }
        // The direct kernel's wide copy multiplies no 256-bit vector: each of its rows of sixteen is one zmm.
        #expect(copies.filter { $0.name == "direct step" && $0.zmm > 0 }.allSatisfy { $0.ymm == 0 }, "\(copies.filter { $0.name == "direct step" })")
        // The library picks the wide compilation exactly where the processor has AVX-512 (the qemu test
        // below sees the other side); forced, it runs the x86-64-v3 one. Every wide kernel keeps each
        // lane's order, so both copies give the same outputs, in the interpreter's order.
        let info = try run(built.binary, ["--info"])
        #expect(info.stdout.contains("compiled code running: \(Self.hostHasAVX512 ? "x86-64-v4" : "x86-64-v3")\n"), "\(info.stdout)")
        let forced = try run(built.binary, ["--info"], environment: ["CNNC_KERNELS": "x86-64-v3"])
        #expect(forced.stdout.contains("compiled code running: x86-64-v3\n"), "\(forced.stdout)")
        let (chosen, reference) = try Self.bothCompilationsAgree(built, spec, inputShape: [2, 16, 16, 16])
        #expect(reference.shape == [2, 48, 4, 4])  // 16×16 halved twice
        expectClose(chosen.values, reference.values, "avx512 against the interpreter", tolerance: .sameOrder)
    }

    /// Runs `built` on random inputs of `inputShape` in the compilation this processor picks and in the
    /// x86-64-v3 one, expects the same outputs, and returns them with the interpreter's.
    static func bothCompilationsAgree(_ built: SharedBuilds.Built, _ spec: String, inputShape: [Int]) throws -> (NPYArray, NPYArray) {
        let (outputs, reference) = try runs(of: built, spec, inputShape: inputShape,
                                            under: [("chosen", [:]), ("avx2", ["CNNC_KERNELS": "x86-64-v3"])])
        let (chosen, narrow) = (try #require(outputs["chosen"]), try #require(outputs["avx2"]))
        #expect(chosen == narrow, "\(spec): the two compilations disagree")
        #expect(chosen.shape == reference.shape)
        return (chosen, reference)
    }

    /// Runs `built` on random inputs of `inputShape` once under each named environment, and the
    /// interpreter on the same inputs: the outputs by name, and the interpreter's.
    static func runs(of built: SharedBuilds.Built, _ spec: String, inputShape: [Int], under environments: [(name: String, environment: [String: String])])
        throws -> (outputs: [String: NPYArray], reference: NPYArray) {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.npy")
        try writeRandomInputs(input, shape: inputShape, seed: 5)
        var outputs: [String: NPYArray] = [:]
        for (name, environment) in environments {
            let output = directory.appendingPathComponent("\(name).npy")
            let result = try run(built.binary, ["--input", input.path, "--output", output.path], environment: environment)
            try #require(result.status == 0, "\(name): \(result.stderr)")
            outputs[name] = try NPY.read(path: output.path)
        }
        let expected = directory.appendingPathComponent("expected.npy")
        let interpreted = try cnnc("run", spec, "--weights", try #require(built.weights).path, "--input", input.path, "--output", expected.path)
        try #require(interpreted.status == 0, "\(interpreted.stderr)")
        return (outputs, try NPY.read(path: expected.path))
    }

    @Test func winogradsTileRowTransformsGiveTheOtherCopysOutputs() async throws {
        // 15×15 and 7×7 outputs: rows of 8 and of 4 tiles, two and four of them per vector of the
        // AVX-512 copy's input transform, whose products and sums are the x86-64-v3 copy's.
        let spec = "Tests/Fixtures/codegen/winograd-rows.yaml"
        let built = try await SharedBuilds.shared.binary(for: spec)
        let (chosen, reference) = try Self.bothCompilationsAgree(built, spec, inputShape: [2, 40, 15, 15])
        #expect(reference.shape == [2, 40, 7, 7])
        expectClose(chosen.values, reference.values, "winograd-rows against the interpreter", tolerance: .reordered)
    }

    @Test func poolsOfSixteenOutputsGiveTheOtherCopysOutputs() async throws {
        // Rows of 21 and 20 outputs: the AVX-512 copy pools sixteen at a time, the x86-64-v3 copy
        // eight, each window combined in the same order, so the outputs are the same bit for bit.
        let spec = "Tests/Fixtures/codegen/pools.yaml"
        let built = try await SharedBuilds.shared.binary(for: spec)
        let (chosen, reference) = try Self.bothCompilationsAgree(built, spec, inputShape: [2, 4, 36, 42])
        #expect(reference.shape == [2, 4, 17, 20])
        expectClose(chosen.values, reference.values, "pools against the interpreter", tolerance: .sameOrder)
    }

    @Test func theAVX512CopyTakesChannelLanesOnlyWhereMultiplyAddsRunAtFullWidth() async throws {
        // full-width.yaml's one layer is Winograd's in the x86-64-v3 copy and, where 512-bit
        // multiply-adds run at half width (CNNC_FULL_WIDTH_512=0, as on Zen 4), in the AVX-512 copy
        // too, whose Winograd gives the same bits; at full width (1) that copy runs channel lanes,
        // which keep the interpreter's order.
        let spec = "Tests/Fixtures/codegen/full-width.yaml"
        let built = try await SharedBuilds.shared.binary(for: spec)
        let (outputs, reference) = try Self.runs(of: built, spec, inputShape: [2, 256, 7, 7],
                                                 under: [("half", ["CNNC_FULL_WIDTH_512": "0"]), ("full", ["CNNC_FULL_WIDTH_512": "1"]),
                                                         ("narrow", ["CNNC_KERNELS": "x86-64-v3"])])
        let (half, full, narrow) = (try #require(outputs["half"]), try #require(outputs["full"]), try #require(outputs["narrow"]))
        #expect(reference.shape == [2, 32, 7, 7] && half.shape == reference.shape && full.shape == reference.shape)
        #expect(half == narrow, "Winograd in the AVX-512 copy and in the x86-64-v3 one disagree")
        expectClose(half.values, reference.values, "Winograd against the interpreter", tolerance: .reordered)
        if Self.hostHasAVX512 {
            #expect(full != half, "CNNC_FULL_WIDTH_512=1 ran Winograd too")
            expectClose(full.values, reference.values, "channel lanes against the interpreter", tolerance: .sameOrder)
        }
        // `--profile` names the kernel that ran.
        for (environment, strategy) in [(["CNNC_FULL_WIDTH_512": "0"], "pad + Winograd F(2,3) 3×3"),
                                        (["CNNC_KERNELS": "x86-64-v3"], "pad + Winograd F(2,3) 3×3")]
            + (Self.hostHasAVX512 ? [(["CNNC_FULL_WIDTH_512": "1"], "pad + channel-lane direct conv 3×3")] : []) {
            let profiled = try run(built.binary, ["--profile", "-n", "1", "--json"], environment: environment)
            try #require(profiled.status == 0, "\(environment): \(profiled.stderr)")
            #expect(profiled.stdout.contains("\"strategy\": \"\(strategy)\""), "\(environment): \(profiled.stdout)")
        }
    }

    @Test func lenetsRowSpanningLayersMultiplySixteenLanesInTheAVX512Copy() async throws {
        // c1 (49 vectors of sixteen pixels, tanh) and c3 (7) run the row-spanning kernel two channels
        // over seven vectors at a time in the x86-64-v4 copy; the x86-64-v3 copy keeps the eight-lane
        // row-spanning kernel for both. Both copies agree with the interpreter in `GeneratedInferencerTests`.
        _ = try await SharedBuilds.shared.binary(for: "models/lenet5.yaml")
        let library = try Self.newestNetworkLibrary(of: "lenet5")
        // The package holding the library (`…/NAME.artifactbundle/lib/TRIPLE/libNAME.a`) calls the pair kernel for both.
        let package = library.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOf: package.appendingPathComponent("Core/Lenet5Core.swift"), encoding: .utf8)
        #expect(source.components(separatedBy: "convolveDirectSpanningRowsInPairs(").count == 3, "\(package.path)")
        let copies = try Self.multiplyAdds(in: "lenet5", steps: ["c1", "c3"], functions: [])
        for name in ["c1 step", "c3 step"] {
            let found = copies.filter { $0.name == name }
            // Fourteen sums a tap in the wide copy, whose loop over a kernel row may be unrolled; blocks
            // of four channels (c1's six in a block of six) in the other, four sums a vector at least.
            #expect(found.count == 2, "\(name): \(found)")
            #expect(found.contains { $0.zmm >= 14 && $0.ymm == 0 }, "\(name): no copy multiplies only 512-bit vectors: \(found)")
            #expect(found.contains { $0.zmm == 0 && $0.ymm >= 4 }, "\(name): no copy multiplies only 256-bit vectors: \(found)")
        }
    }

    /// The multiply-adds on zmm and on ymm registers of each copy of the named functions in the newest
    /// default build of `command`'s network library, whose functions keep their names: the steps of
    /// the layers named in `steps` (named "NAME step") and the out-of-line kernels named in `functions`.
    static func multiplyAdds(in command: String, steps: [String], functions: [String]) throws -> [(name: String, zmm: Int, ymm: Int)] {
        let library = try newestNetworkLibrary(of: command)
        let disassembly = try run(try objdump(), ["-d", "--no-show-raw-insn", library.path])
        try #require(disassembly.status == 0, "\(disassembly.stderr)")
        var copies: [(name: String, zmm: Int, ymm: Int)] = []
        for line in disassembly.stdout.split(separator: "\n") {
            if line.hasSuffix(">:") {
                let step = steps.first { line.contains("Steps") && line.contains("LLO\($0.count)\($0)yy") }
                copies.append((step.map { "\($0) step" } ?? functions.first { line.contains($0) } ?? "", 0, 0))
            } else if line.contains("vfmadd"), !copies.isEmpty, !copies[copies.count - 1].name.isEmpty {
                if line.contains("%zmm") { copies[copies.count - 1].zmm += 1 }
                if line.contains("%ymm") { copies[copies.count - 1].ymm += 1 }
            }
        }
        return copies
    }

    /// The network library of the newest default build of `command`.
    static func newestNetworkLibrary(of command: String) throws -> URL {
        func modified(_ url: URL) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date) ?? .distantPast
        }
        return try #require(try SharedBuilds.networkLibraries(of: command).max { modified($0) < modified($1) },
                            "no default build of \(command) in \(SharedBuilds.cacheDirectory)")
    }

    static let qemu: URL? = ["/usr/bin/qemu-x86_64", "/usr/bin/qemu-x86_64-static"].map(URL.init(fileURLWithPath:))
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    @Test(.enabled(if: qemu != nil, "qemu-user is not installed (apt-get install qemu-user; .ci/run installs it)"))
    func theDefaultBuildRunsOnAHaswellUnderQemu() async throws {
        let built = try await SharedBuilds.shared.binary(for: "models/lenet5.yaml")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.npy")
        try writeRandomInputs(input, shape: [2, 1, 32, 32], seed: 3)
        let native = directory.appendingPathComponent("native.npy"), emulated = directory.appendingPathComponent("haswell.npy")
        let nativeRun = try run(built.binary, ["--input", input.path, "--output", native.path])
        #expect(nativeRun.status == 0, "\(nativeRun.stderr)")
        let emulatedRun = try run(try #require(Self.qemu), ["-cpu", "Haswell", built.binary.path, "--input", input.path, "--output", emulated.path, "--threads", "1"])
        try #require(emulatedRun.status == 0, "under qemu -cpu Haswell: \(emulatedRun.stderr)")
        #expect(try NPY.read(path: emulated.path) == NPY.read(path: native.path))
        // A Haswell has no AVX-512: the library runs its x86-64-v3 compilation.
        let info = try run(try #require(Self.qemu), ["-cpu", "Haswell", built.binary.path, "--info"])
        #expect(info.stdout.contains("compiled code running: x86-64-v3\n"), "\(info.stdout)")
    }
    #endif
}
