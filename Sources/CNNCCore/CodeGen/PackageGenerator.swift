import CNNCRuntime

/// The processor a generated network's kernels are compiled for (`--cpu`).
public struct CPUTarget: Hashable, Sendable, CustomStringConvertible {
    /// As the user wrote it: `x86-64-v3`, `native`, `znver4`, …
    public var name: String
    /// What `swiftc -target-cpu` takes for it.
    public var compilerName: String
    /// Whether the library also holds the network compiled for x86-64-v4 with `CNNC_AVX512`, which it
    /// runs instead on processors (and systems) with AVX-512, chosen once per process: the default, so one
    /// binary runs on any AVX2 machine and multiplies 512-bit vectors where it can (docs/codegen.md).
    public var withAVX512Variant = false

    /// The variant's processor: x86-64-v4 in LLVM's CPU names.
    public static let avx512Variant = CPUTarget("x86-64-v4")

    public var description: String {
        (name == compilerName ? name : "\(name) (\(compilerName))")
            + (withAVX512Variant ? ", and \(Self.avx512Variant) where the processor has AVX-512" : "")
    }

    /// The name of its build folders: the variant's builds apart from its base's.
    public var cacheName: String { withAVX512Variant ? name + "-with-avx512" : name }

    /// x86-64's microarchitecture levels in LLVM's CPU names (swiftc does not take the level names);
    /// any other name is passed on to swiftc, which lists the valid ones if it is not.
    public init(_ name: String) {
        self.name = name
        switch name {
        case "x86-64-v2": compilerName = "nehalem"
        case "x86-64-v3": compilerName = "haswell"
        case "x86-64-v4": compilerName = "skylake-avx512"
        default: compilerName = name
        }
    }

    /// AVX2 and FMA on x86-64 (every x86-64 CPU since 2013–2015), with the AVX-512 variant; the
    /// architecture baseline elsewhere.
    public static var standard: CPUTarget {
        #if arch(x86_64)
        var target = CPUTarget("x86-64-v3")
        target.withAVX512Variant = true
        return target
        #else
        CPUTarget("generic")
        #endif
    }

    /// The architecture baseline: what `--portable` means.
    public static var baseline: CPUTarget {
        #if arch(x86_64)
        CPUTarget("x86-64")
        #else
        CPUTarget("generic")
        #endif
    }
}

/// What `cnnc generate` and `cnnc build` need besides the network.
public struct GenerationOptions: Sendable {
    /// The processor the compiled network targets.
    public var cpu: CPUTarget
    /// The spec's bytes and the weights file's, for the provenance `--info` prints.
    public var specBytes: [UInt8]
    public var weightsPath: String?
    /// SHA-256 of the weights file, for the inferencer's provenance.
    public var weightsSHA256: String?
    /// Whether every kernel keeps the interpreter's summation order (`--reference-order`: no Winograd).
    public var referenceOrder: Bool

    public init(cpu: CPUTarget = .standard, specBytes: [UInt8], weightsPath: String? = nil, weightsSHA256: String? = nil,
                referenceOrder: Bool = false) {
        self.cpu = cpu
        self.referenceOrder = referenceOrder
        self.specBytes = specBytes
        self.weightsPath = weightsPath
        self.weightsSHA256 = weightsSHA256
    }
}

extension GenerationOptions {
    var summationOrder: ExecutionPlan.SummationOrder { referenceOrder ? .reference : .fastest }
}

/// A complete SwiftPM package: every file's path (relative to the package root) and bytes, plus what
/// `CoreLibraryBuilder` needs to compile its network into the package's binary target.
public struct GeneratedPackage: Sendable {
    public var files: [(path: String, bytes: [UInt8])]
    /// The executable product, which `swift build` writes to `.build/release/<command>`.
    public var command: String
    public var module: String
    public var core: CoreLibrary

    /// The file recording that cnnc wrote this directory; `generate` refuses other non-empty ones.
    public static let markerFile = ".cnnc-generated"

    /// The compiled network: Swift sources and a C weights file in `Core/`, built into a
    /// static library inside the artifact bundle the manifest names.
    public struct CoreLibrary: Sendable {
        public var swiftModule: String
        public var swiftSources: [String]
        public var weightsSource: String
        public var weightsIncludes: String
        public var library: String
        /// The Swift sources' C entry points.
        public var entryPoints: [String]
        /// With the AVX-512 variant (`CPUTarget.withAVX512Variant`): the C file that picks a compilation
        /// at run time (`VariantDispatchEmitter`), its include directory, and its one function of its own.
        public var dispatch: (source: String, includes: String, variantFunction: String)?
        public var cpu: CPUTarget

        /// The global symbols the library keeps.
        public var exportedSymbols: [String] { entryPoints + (dispatch.map { [$0.variantFunction] } ?? []) }
    }
}

/// The largest network `generate` and `build` write code for. The generated Swift grows by about
/// 0.8 KB per layer and the optimiser spends about 75 ms on each (3,000 layers: 2.3 MB, 228 s on
/// this machine), so this bounds the generated source to about 4 MB and the compile to minutes;
/// real networks have hundreds of layers. `check`, `summary` and `run` have no such limit.
public enum CodeGenerationLimits {
    public static let maximumLayers = 5_000

    /// A one-line error when `network` is too large to generate, else nil.
    public static func problem(with network: CheckedNetwork) -> String? {
        guard network.layers.count > maximumLayers else { return nil }
        return "\(network.spec.path): the network has \(network.layers.count.grouped) layers; cnnc generates code for at most "
            + "\(maximumLayers.grouped) (about 0.8 KB of Swift and 75 ms of compiling each); 'check', 'summary' and 'run' take any size"
    }
}

/// Turns a checked network and its weights into a standalone SwiftPM package:
/// - `Core/`: the network's steps and the kernels (Swift) and its weights (C, `#embed`),
///   which `CoreLibraryBuilder` compiles, optimised for the chosen CPU, into
///   `<Net>Kernels.artifactbundle`, a static library with a C interface that the manifest names as a
///   binary target — so the package has no unsafe flags, and an app's debug build runs the network
///   at release speed;
/// - `Sources/<Net>`: the Swift API (`LibraryEmitter`); `Sources/<Net>Runtime`: the support sources
///   cnnc itself is built from; `Sources/<Net>Inferencer`: the standalone command.
public enum PackageGenerator {
    public static func generate(_ network: CheckedNetwork, weights: NetworkWeights, options: GenerationOptions) -> GeneratedPackage {
        let plan = ExecutionPlan(network: network, order: options.summationOrder)
        let names = GeneratedNames(network: network, slices: plan.slices)
        let header = "// Generated by cnnc \(CNNCVersion.string) from \(commentSafe(network.spec.path)). DO NOT EDIT."
        var files: [(String, [UInt8])] = []
        func add(_ path: String, _ text: String) { files.append((path, Array(text.utf8))) }

        add("Package.swift", packageManifest(network, names, cpu: options.cpu))
        add(".gitignore", ".build/\nPackage.resolved\n")
        add("README.md", readme(network, names, plan: plan, cpu: options.cpu))
        var swiftSources = ["Core/\(names.coreSwiftModule).swift"]
        add(swiftSources[0], NetworkEmitter(network: network, plan: plan, names: names, header: header).emit())
        for file in EmbeddedSources.files where file.module == "CNNCKernels" {
            swiftSources.append("Core/Kernels/\(file.name)")
            add(swiftSources.last!, file.text)
        }
        add("Core/Weights/include/\(names.weightsModule).h", weightsHeader(names, header: header, plan: plan))
        add("Core/Weights/include/module.modulemap", "module \(names.weightsModule) {\n    header \"\(names.weightsModule).h\"\n    export *\n}\n")
        add("Core/Weights/weights.c", weightsSource(names, header: header, plan: plan))
        files.append(("Core/Weights/weights.bin", littleEndianBytes(plan.blob(weights))))
        // The hash of everything compiled into the library (kernels, steps, weights, CPU) names the
        // archive's folder and is a constant of the Swift API (`LibraryEmitter`): SwiftPM copies a binary
        // target's archive to a fixed path and relinks only when an object or the link command changes,
        // so without a changed Swift object an app, or the inferencer, would keep the old network.
        let bundle = "\(names.kernelsModule).artifactbundle"
        if options.cpu.withAVX512Variant {
            add("Core/Dispatch.c", VariantDispatchEmitter(names: names, base: options.cpu, header: header).emit())
        }
        var coreBytes = Array("\(options.cpu.compilerName)\(options.cpu.withAVX512Variant ? " avx512-variant" : "")\n".utf8)
        for file in files where file.0.hasPrefix("Core/") { coreBytes += Array(file.0.utf8) + SHA256.digest(file.1) }
        let coreHash = String(SHA256.hex(coreBytes).prefix(16))
        let libraryPath = "lib/\(coreHash)/lib\(names.kernelsModule).a"
        add("\(bundle)/info.json", artifactInfo(names, libraryPath: libraryPath))
        add("\(bundle)/include/\(names.kernelsModule).h", kernelsHeader(network, names, plan: plan, cpu: options.cpu))
        add("\(bundle)/include/module.modulemap", "module \(names.kernelsModule) {\n    header \"\(names.kernelsModule).h\"\n    export *\n}\n")
        let library = LibraryEmitter(network: network, plan: plan, names: names, header: header, coreFingerprint: coreHash, cpu: options.cpu).emit()
        add("Sources/\(names.module)/\(names.module).swift", library)
        let runtimeAPI = ["CompiledNetwork.swift", "NetworkPrediction.swift"].compactMap { name in
            EmbeddedSources.files.first { $0.module == "CNNCRuntime" && $0.name == name }?.text
        }
        add("API.md", apiReference(names, sources: [library] + runtimeAPI))
        for file in EmbeddedSources.files where file.module == "CNNCRuntime" {
            add("Sources/\(names.runtimeModule)/\(file.name)", file.text)
        }
        add("Sources/\(names.executableTarget)/main.swift", inferencerMain(network, names, plan: plan, options: options, header: header))
        add(GeneratedPackage.markerFile, marker(network, options: options))
        let core = GeneratedPackage.CoreLibrary(
            swiftModule: names.coreSwiftModule, swiftSources: swiftSources, weightsSource: "Core/Weights/weights.c",
            weightsIncludes: "Core/Weights/include", library: "\(bundle)/\(libraryPath)",
            entryPoints: [names.entryPoint, names.partEntryPoint, names.stepFunction, names.peakProbeFunction, names.stepStrategyFunction],
            dispatch: options.cpu.withAVX512Variant ? ("Core/Dispatch.c", "\(bundle)/include", names.kernelVariantFunction) : nil, cpu: options.cpu)
        return GeneratedPackage(files: files, command: names.command, module: names.module, core: core)
    }

    private static func packageManifest(_ network: CheckedNetwork, _ names: GeneratedNames, cpu: CPUTarget) -> String {
        """
        // swift-tools-version: 6.0
        // Generated by cnnc \(CNNCVersion.string) from \(commentSafe(network.spec.path)). DO NOT EDIT.
        import PackageDescription

        let package = Package(
            name: \(quoted(names.command)),
            platforms: [.macOS(.v15)],
            products: [
                .library(name: "\(names.module)", targets: ["\(names.module)"]),
                .executable(name: \(quoted(names.command)), targets: ["\(names.executableTarget)"]),
            ],
            targets: [
                // The network, its kernels and its weights, compiled by cnnc from Core/ (whole module,
                // -Ounchecked, -target-cpu \(cpu.compilerName)) into a static library with a C interface.
                .binaryTarget(name: "\(names.kernelsModule)", path: "\(names.kernelsModule).artifactbundle"),
                .target(name: "\(names.runtimeModule)"),
                .target(name: "\(names.module)", dependencies: ["\(names.kernelsModule)", "\(names.runtimeModule)"]),
                .executableTarget(name: "\(names.executableTarget)", dependencies: ["\(names.module)", "\(names.runtimeModule)"]),
            ],
            swiftLanguageModes: [.v6]
        )

        """
    }

    private static func artifactInfo(_ names: GeneratedNames, libraryPath: String) -> String {
        JSONValue.object([
            ("schemaVersion", .string("1.0")),
            ("artifacts", .object([(names.kernelsModule, .object([
                ("type", .string("staticLibrary")),
                ("version", .string(CNNCVersion.string)),
                ("variants", .array([.object([
                    ("path", .string(libraryPath)),
                    ("supportedTriples", .array([.string(hostTriple)])),
                    ("staticLibraryMetadata", .object([
                        ("headerPaths", .array([.string("include")])),
                        ("moduleMapPath", .string("include/module.modulemap")),
                    ])),
                ])])),
            ]))])),
        ]).rendered() + "\n"
    }

    /// The triple the library is compiled for: this machine's (the package is built where cnnc runs).
    static var hostTriple: String {
        #if arch(x86_64)
        let architecture = "x86_64"
        #else
        let architecture = "aarch64"
        #endif
        #if os(Linux)
        return architecture + "-unknown-linux-gnu"
        #else
        return (architecture == "aarch64" ? "arm64" : architecture) + "-apple-macosx"
        #endif
    }

    private static func kernelsHeader(_ network: CheckedNetwork, _ names: GeneratedNames, plan: ExecutionPlan, cpu: CPUTarget) -> String {
        let guardName = names.cMacro("KERNELS_H")
        let variantDeclaration = !cpu.withAVX512Variant ? "" : """

            /// Which of the library's two compilations of the network runs in this process, chosen on the first call
            /// of any function here: "\(CPUTarget.avx512Variant.name)" where the processor has AVX-512, else "\(cpu.name)"
            /// (also when the environment has CNNC_KERNELS=\(cpu.name)).
            const char *\(names.kernelVariantFunction)(void);
            """
        let preparedNote = plan.preparedCount == 0 ? ""
            : "\n/// The first call of any function below also computes the Winograd layers' transformed weights from the"
            + "\n/// embedded filters into \((plan.preparedCount * 4).grouped) bytes of static memory: once per process, thread-safely."
        return """
            // Generated by cnnc \(CNNCVersion.string) from \(commentSafe(network.spec.path)). DO NOT EDIT.
            // \(commentSafe(network.name)): \(network.input) → \(network.output), compiled for \(cpu).
            #ifndef \(guardName)
            #define \(guardName)

            /// Floats in one input sample (C, H, W order) and in one output sample.
            #define \(names.cMacro("INPUT_COUNT")) \(network.input.count)
            #define \(names.cMacro("OUTPUT_COUNT")) \(network.output.count)
            /// The scratch memory one call needs, and its alignment.
            #define \(names.cMacro("ARENA_BYTES")) \(plan.arenaBytes)
            #define \(names.cMacro("ARENA_ALIGNMENT")) 64

            /// Runs the network on one sample. `arena`: ARENA_BYTES bytes, ARENA_ALIGNMENT-aligned,
            /// zero-filled before its first use, used by no other call at the same time. Allocates nothing.\(preparedNote)
            void \(names.entryPoint)(const float *input, float *output, void *arena);

            /// Kernels that several threads share when one sample runs on several (0: one thread is as fast).
            #define \(names.cMacro("SPLIT_KERNELS")) \(plan.splitKernelCount)
            /// The scratch memory each part but the first needs in predict_part.
            #define \(names.cMacro("PART_SCRATCH_BYTES")) \(plan.partScratchBytes)
            /// Part `part` of `parts` of one predict call: call every part at once, each on its own thread,
            /// with the same input, output and arena, and its own PART_SCRATCH_BYTES of `part_scratch`
            /// (64-byte aligned; unused by part 0). `barrier(context)` must return once every part has
            /// called it. The output equals predict's, bit for bit, for any number of parts.
            void \(names.partEntryPoint)(const float *input, float *output, void *arena, void *part_scratch, int part, int parts,
                                     void (*barrier)(void *context), void *context);

            /// Runs step `index` of \(plan.steps.count) alone (the steps in order are one predict call), for profiling:
            /// as part `part` of `parts`, with the same contract as predict_part (part 0 of 1 and no barrier: one thread).
            void \(names.stepFunction)(int index, const float *input, float *output, void *arena, void *part_scratch, int part,
                                     int parts, void (*barrier)(void *context), void *context);
            /// `iterations` rounds of 192 FLOP of independent multiply-adds compiled like the kernels: the peak.
            float \(names.peakProbeFunction)(int iterations);
            /// How step `index` computes in the compiled code that runs in this process (empty for no such step).
            const char *\(names.stepStrategyFunction)(int index);\(variantDeclaration)

            #endif

            """
    }

    private static func weightsHeader(_ names: GeneratedNames, header: String, plan: ExecutionPlan) -> String {
        var text = """
            \(header)
            #pragma once

            /// The network's weights, laid out for its kernels (little-endian float32, 64-byte aligned).
            const float *\(names.weightsFunction)(void);

            """
        if plan.preparedCount > 0 {
            text += """

                /// Static memory (zero-filled) for the weights the network computes on its first call.
                float *\(names.preparedWeightsFunction)(void);

                """
        }
        if plan.asksForFullWidth {
            text += """

                /// 1 where the processor multiplies 512-bit vectors at full width, else 0 (AMD's family 25,
                /// Zen 4, splits each multiply-add in two 256-bit halves). CNNC_FULL_WIDTH_512=0 or 1 overrides it.
                int \(names.fullWidthFunction)(void);

                """
        }
        return text
    }

    private static func weightsSource(_ names: GeneratedNames, header: String, plan: ExecutionPlan) -> String {
        var text = """
            \(header)
            #include "\(names.weightsModule).h"

            _Alignas(64) static const unsigned char weights[] = {
            #embed "weights.bin"
            };

            const float *\(names.weightsFunction)(void) {
                return (const float *)weights;
            }

            """
        if plan.preparedCount > 0 {
            text += """

                _Alignas(64) static float prepared[\(plan.preparedCount)];

                float *\(names.preparedWeightsFunction)(void) {
                    return prepared;
                }

                """
        }
        if plan.asksForFullWidth {
            // Asked by the AVX-512 compilation's steps and weight preparation; every thread computes
            // the same answer. The vendor is "AuthenticAMD" in EBX, EDX, ECX of leaf 0. Other targets
            // (WebAssembly, which compiles this file freestanding) never ask.
            text += """

                #if defined(__x86_64__)
                #include <cpuid.h>
                #include <stdatomic.h>
                #include <stdlib.h>
                #include <string.h>

                /// 0 until first asked, then 1 (half width) or 2 (full width).
                static atomic_int full_width;

                int \(names.fullWidthFunction)(void) {
                    int answer = atomic_load_explicit(&full_width, memory_order_relaxed);
                    if (answer == 0) {
                        answer = 2;
                        unsigned a, b, c, d;
                        const char *forced = getenv("CNNC_FULL_WIDTH_512");
                        if (forced != NULL && (strcmp(forced, "0") == 0 || strcmp(forced, "1") == 0)) {
                            answer = forced[0] == '1' ? 2 : 1;
                        } else if (__get_cpuid(0, &a, &b, &c, &d) && b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163
                                   && __get_cpuid(1, &a, &b, &c, &d)) {
                            unsigned family = (a >> 8) & 0xF;
                            if (family == 0xF) family += (a >> 20) & 0xFF;
                            if (family == 0x19) answer = 1;
                        }
                        atomic_store_explicit(&full_width, answer, memory_order_relaxed);
                    }
                    return answer == 2;
                }
                #else
                int \(names.fullWidthFunction)(void) {
                    return 1;
                }
                #endif

                """
        }
        return text
    }

    private static func inferencerMain(_ network: CheckedNetwork, _ names: GeneratedNames, plan: ExecutionPlan, options: GenerationOptions,
                                       header: String) -> String {
        let interface = network.interface
        let summary = SummaryRenderer(network: network, order: options.summationOrder).render(.table)
        var provenance: [(String, String)] = [
            ("spec", network.spec.path),
            ("spec sha256", SHA256.hex(options.specBytes)),
        ]
        if let path = options.weightsPath, let hash = options.weightsSHA256 {
            provenance += [("weights", path), ("weights sha256", hash)]
        } else {
            provenance.append(("weights", "inline in the spec"))
        }
        provenance += [
            ("cnnc", CNNCVersion.string),
            ("network compiled for", "\(hostTriple), -target-cpu \(options.cpu.compilerName)\(options.cpu.name == options.cpu.compilerName ? "" : " (\(options.cpu.name))")"
                + (options.cpu.withAVX512Variant ? " and \(CPUTarget.avx512Variant.compilerName) (\(CPUTarget.avx512Variant.name), run where the processor has AVX-512)" : "")
                + ", -Ounchecked"),
            ("summation order", plan.reordersSums
                ? "reordered by Winograd convolutions (agrees with 'cnnc run' within 1e-4 relative + 1e-5)"
                : "the interpreter's (agrees with 'cnnc run' within 1e-5 relative + 1e-6)"),
        ]
        func floats(_ values: [Float]) -> String {
            "[" + values.map(swiftFloatLiteral).joined(separator: ", ") + "]"
        }
        var printer = CodePrinter()
        printer.print(header)
        printer.print()
        printer.print("import \(names.module)")
        printer.print("import \(names.runtimeModule)")
        printer.print()
        printer.print("/// One predictor per batch thread, or one running each sample on `threads` threads; the network")
        printer.print("/// value's arena pool gives each its own scratch memory.")
        printer.block("final class NetworkPredictor: Predictor") { p in
            p.print("let network: \(names.module)")
            p.print()
            p.block("init(threads: Int)") { p in
                p.print("network = \(names.module)(threads: threads)")
            }
            p.print()
            p.block("func predict(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>)") { p in
                p.print("network.predictUnchecked(input, into: output)")
            }
            p.print()
            p.print("var threads: Int { network.threads }")
        }
        printer.print()
        printer.print("InferencerMain.main(model: InferencerModel(")
        printer.withIndentation { p in
            p.print("name: \(quoted(names.command)),")
            p.print("inputShape: FeatureShape(channels: \(network.input.channels), height: \(network.input.height), width: \(network.input.width)),")
            p.print("outputShape: FeatureShape(channels: \(network.output.channels), height: \(network.output.height), width: \(network.output.width)),")
            p.print("preprocess: Preprocess(scale: \(swiftFloatLiteral(interface.preprocess.scale)), mean: \(floats(interface.preprocess.mean)), std: \(floats(interface.preprocess.std))),")
            p.print("labels: \(labelsExpression(interface.labels)),")
            p.print("summary: \(quoted(summary)),")
            p.print("provenance: [")
            p.withIndentation { p in
                for (key, value) in provenance { p.print("(key: \(quoted(key)), value: \(quoted(value))),") }
                if options.cpu.withAVX512Variant { p.print("(key: \"compiled code running\", value: \(names.module).kernelVariant),") }
            }
            p.print("],")
            p.print("makePredictor: { threads in NetworkPredictor(threads: threads) },")
            p.print("profile: { runs, threads in \(names.module)(threads: threads).profile(runs: runs) },")
            p.print("flopsPerInference: \(names.module).flopsPerInference,")
            p.print("measurePeakGFLOPS: { \(names.module).measurePeakGFLOPS() }")
        }
        printer.print("))")
        return printer.text
    }

    private static func marker(_ network: CheckedNetwork, options: GenerationOptions) -> String {
        JSONValue.object([
            ("generator", .string("cnnc \(CNNCVersion.string)")),
            ("spec", .string(network.spec.path)),
            ("spec_sha256", .string(SHA256.hex(options.specBytes))),
            ("cpu", .string(options.cpu.name)),
        ]).rendered() + "\n"
    }

    private static func readme(_ network: CheckedNetwork, _ names: GeneratedNames, plan: ExecutionPlan, cpu: CPUTarget) -> String {
        let type = names.module
        let input = network.input
        let example = input.channels == 3 ? "photo.ppm" : "image.pgm"
        return """
            # \(type)

            Generated by cnnc \(CNNCVersion.string) from `\(commentSafe(network.spec.path))`: \(input) → \(network.output).
            Do not edit; regenerate with `cnnc generate`. The package depends on nothing but the Swift toolchain.

            ## Use it from an app

            By path, or by git URL once this directory is a repository with a tag (commit the
            `\(names.kernelsModule).artifactbundle` folder with it: it holds the compiled network):

            ```swift
            .package(path: "../\(names.command)"),
            // or: .package(url: "https://example.com/you/\(names.command).git", from: "1.0.0"),
            // and in your target: .product(name: "\(type)", package: "\(names.command)")
            ```

            ```swift
            import \(type)

            let network = \(type)()                                    // Sendable: share it between tasks
            let prediction = try network.predict(contentsOf: "\(example)")[0]   // or predict(pixels:width:height:channels:)
            for entry in prediction.top(3) { print(entry.label, entry.value) }
            ```

            Wrong sizes throw `\(type).Failure`; `predict(batch:)` is `async` and spreads samples over the
            cores. [API.md](API.md) lists the whole interface.

            ## What is inside

            - `\(names.kernelsModule).artifactbundle`: the network's steps, kernels and weights, compiled by
              cnnc (`-Ounchecked`, `-target-cpu \(cpu.compilerName)`, for \(hostTriple)) into a static
              library with a C interface (`include/\(names.kernelsModule).h`). Because it is prebuilt, a debug
              build of your app runs the network as fast as a release build, and the package needs no
              unsafe compiler flags. Its sources are in `Core/`.
            - `Sources/\(type)`: the Swift interface; `Sources/\(names.runtimeModule)`: image, `.npy` and raw float
              readers and the preprocessing; `Sources/\(names.executableTarget)`: the `\(names.command)` command
              (`swift run -c release \(names.command) --help`).

            The library runs on \(cpu.name == "native" ? "processors like the one it was generated on" : "any processor with the \(cpu.name) instruction set")
            (`cnnc generate --cpu` chooses).

            """
    }

    /// The public declarations of the library and of `Prediction`, each with its doc comment, read
    /// back from the generated source so the page cannot drift from the code.
    static func apiReference(_ names: GeneratedNames, sources: [String]) -> String {
        var text = "# \(names.module) API\n\nGenerated with the package; the declarations below are copied from `Sources/\(names.module)` and from\n`CompiledNetwork.swift` and `NetworkPrediction.swift` in `Sources/\(names.runtimeModule)`. `import \(names.runtimeModule)` as well\nfor its `.npy`, PGM/PPM and raw float readers and writers (`NPY`, `NetPBM`, `InputFile`); each generated\npackage has its own runtime module, so several networks in one app never clash.\n"
        for source in sources {
            var comment: [String] = []
            for rawLine in source.split(separator: "\n", omittingEmptySubsequences: false) {
                let line = rawLine.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("///") {
                    comment.append(String(line.dropFirst(3).drop { $0 == " " }))
                } else {
                    if line.hasPrefix("public "), !line.hasPrefix("public init(values") {
                        let declaration = line.hasSuffix("{") ? String(line.dropLast()).trimmingCharacters(in: .whitespaces) : line
                        let isType = ["struct", "class", "enum", "protocol", "typealias"].contains { declaration.hasPrefix("public \($0) ") }
                        text += isType ? "\n## `\(declaration)`\n\n" : "\n### `\(declaration)`\n\n"
                        if !comment.isEmpty { text += comment.joined(separator: "\n") + "\n" }
                    }
                    comment = []
                }
            }
        }
        return text
    }

    private static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Array($0) }
    }
}
