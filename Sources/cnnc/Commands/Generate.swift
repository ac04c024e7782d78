import ArgumentParser
import CNNCCore

/// Options shared by `generate` and `build`.
struct GenerationArguments: ParsableArguments {
    @Argument(help: "The spec file.", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String

    @Option(help: "A safetensors weights file; wins over the spec's 'weights:'.")
    var weights: String?

    @Option(help: ArgumentHelp("The processor the network is compiled for: x86-64, x86-64-v2, x86-64-v3 (AVX2 and FMA), x86-64-v4, native (this machine), or an LLVM CPU name such as znver4. The default on x86-64 runs on x86-64-v3 and carries a second copy of the network for x86-64-v4, chosen at run time where the processor has AVX-512.", valueName: "cpu"))
    var cpu: String?

    @Flag(help: "The same as --cpu x86-64 (any x86-64 processor; the baseline elsewhere).")
    var portable = false

    @Flag(help: "Keep every sum in the order 'cnnc run' adds it: no Winograd for 3×3 convolutions, so outputs agree with 'cnnc run' within 1e-5 (relative) rather than 1e-4, at up to 1.5× the time of those layers. Microcontroller libraries always do.")
    var referenceOrder = false

    /// `--cpu`, `--portable`, else the default.
    func cpuTarget() throws -> CPUTarget {
        if portable, let cpu, CPUTarget(cpu) != .baseline {
            Console.errorLine("--portable means --cpu \(CPUTarget.baseline.name); it cannot go with --cpu \(cpu)")
            throw ExitStatus.usageOrIO
        }
        if portable { return .baseline }
        guard let cpu else { return .standard }
        guard !cpu.isEmpty, cpu.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) else {
            Console.errorLine("--cpu '\(cpu)' is not a processor name")
            throw ExitStatus.usageOrIO
        }
        return CPUTarget(cpu)
    }

    /// The checked network, its weights and the generated package; prints diagnostics and exits on errors.
    func generatePackage() throws -> (LoadedSpec, GeneratedPackage) {
        let (loaded, weights, options) = try generationInputs()
        return (loaded, PackageGenerator.generate(loaded.network, weights: weights, options: options))
    }

    /// The checked network, its weights and the options every target generates from.
    func generationInputs() throws -> (LoadedSpec, NetworkWeights, GenerationOptions) {
        let loaded = try loadSpec(spec)
        if let problem = CodeGenerationLimits.problem(with: loaded.network) {
            Console.errorLine(problem)
            throw ExitStatus.inputErrors
        }
        let outcome = try loaded.loadWeights(override: weights, requireAll: true)
        guard let bound = outcome.binding.weights else { throw ExitStatus.inputErrors }
        let weightsSHA256 = outcome.filePath.flatMap { try? SHA256.hex(fileAt: $0) }
        let options = GenerationOptions(cpu: try cpuTarget(), specBytes: loaded.pipeline.file.bytes, weightsPath: outcome.filePath,
                                        weightsSHA256: weightsSHA256, referenceOrder: referenceOrder)
        return (loaded, bound, options)
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a SwiftPM package specialised for one network: a library and a standalone inferencer.",
        discussion: """
            The package depends on nothing but the Swift toolchain. The network — every shape a constant, \
            its weights embedded bit-exactly — is compiled here, for --cpu, into a static library the \
            package names as a binary target, so an app's debug build runs it at release speed. Around it: \
            a Sendable Swift API (README.md and API.md in the package) and an inferencer executable with the \
            same inputs and outputs as 'cnnc run' plus --bench, --info and --threads.

            Refuses a non-empty directory that cnnc did not generate (unless --force); rewrites only files \
            whose content changed.

            Examples:
              cnnc generate models/lenet5.yaml --weights lenet5.safetensors \\
                  -o lenet5-package
              cd lenet5-package && swift build -c release
              .build/release/lenet5 --info
            """
    )

    @OptionGroup var generation: GenerationArguments

    @Option(name: .shortAndLong, help: "The directory to write the package into.")
    var output: String

    @Flag(help: "Write into a non-empty directory even if cnnc did not generate it (its other files are left alone).")
    var force = false

    func run() throws {
        try refuseToOverwrite(output, inputs: [generation.spec, generation.weights])
        let (_, package) = try generation.generatePackage()
        let report: PackageWriter.Report
        do {
            report = try PackageWriter.write(package, to: output, force: force)
        } catch {
            Console.errorLine("\(error.message)")
            throw ExitStatus.usageOrIO
        }
        do {
            try CoreLibraryBuilder { line in if Console.stderrIsTerminal { Console.error("cnnc: \(line)\n") } }
                .build(package, in: output)
        } catch {
            if let compilerOutput = error.compilerOutput { Console.error(compilerOutput) }
            Console.errorLine("\(error.message)")
            throw ExitStatus.inputErrors
        }
        Console.out("wrote \(output): \(report.written.count) file\(report.written.count == 1 ? "" : "s") changed, \(report.unchanged) unchanged"
            + (report.removed.isEmpty ? "" : ", \(report.removed.count) stale removed") + "; network compiled for \(package.core.cpu)\n")
    }
}

struct Build: ParsableCommand, ReportsDiagnostics {
    static let configuration = CommandConfiguration(
        abstract: "Compile a spec into a standalone inference binary.",
        discussion: """
            Generates the package into a cache directory ($CNNC_CACHE_DIR, else ~/.cache/cnnc), compiles \
            the network for --cpu, runs 'swift build -c release --static-swift-stdlib', and copies the \
            stripped executable to the output path atomically. The binary needs only the C library: copy \
            it to any Linux machine whose processor has the --cpu instructions (by default x86-64-v3: \
            AVX2 and FMA; a second copy of the network, for x86-64-v4, runs where the processor has AVX-512).

            --target wasm32 compiles the same network in Embedded Swift into a WebAssembly module that \
            imports nothing and allocates nothing, and writes it with an ES module (load, predict, top) and \
            a demo page into the folder -o names. --target armv7em (Cortex-M4F/M7) and riscv32 (RV32IMAFC) \
            compile it into a static library for firmware, libNAME.a with its C header NAME.h: weights \
            const in flash, a static arena, no heap, nothing from the C library but memcpy and memset; the \
            header and the last line report flash and RAM (docs/targets.md).

            Examples:
              cnnc build models/blur.yaml -o blur
              ./blur --input photo.pgm --output blurred.pgm
              cnnc build models/lenet5.yaml --weights lenet5.safetensors -o lenet5
              ./lenet5 --bench
              cnnc build models/digits.yaml --target wasm32 -o digits-web
              python3 -m http.server -d digits-web 8000
              cnnc build models/digits.yaml --target armv7em -o digits-m4
            """
    )

    @OptionGroup var generation: GenerationArguments

    @OptionGroup var diagnosticsOptions: DiagnosticsOptions

    @Option(name: .shortAndLong, help: "Where to write the executable (for the other targets, a folder).")
    var output: String

    @Option(help: ArgumentHelp("What to build: host (a command for this system, the default); wasm32 (a WebAssembly module, its JavaScript module and a demo page); armv7em or riscv32 (a static library and C header for a microcontroller). The last three write into the folder -o names.", valueName: "target"))
    var target: BuildTarget = .host

    func run() throws {
        try refuseToOverwrite(output, inputs: [generation.spec, generation.weights])
        switch target {
        case .host: break
        case .wasm32: return try buildWebAssembly()
        case .armv7em: return try buildMicrocontrollerLibrary(.armv7em)
        case .riscv32: return try buildMicrocontrollerLibrary(.riscv32)
        }
        let (loaded, package) = try generation.generatePackage()
        let directory = BuildDriver.buildDirectory(specPath: loaded.network.spec.path, command: package.command, cpu: package.core.cpu)
        let showProgress = Console.stderrIsTerminal
        let driver = BuildDriver { line in
            if showProgress { Console.error("cnnc: \(line)\n") }
        }
        do {
            try driver.build(package, in: directory, output: output)
        } catch {
            if let compilerOutput = error.compilerOutput { Console.error(compilerOutput) }
            Console.errorLine("\(error.message)")
            throw ExitStatus.inputErrors
        }
        Console.out("built \(output)\n")
    }
}

enum BuildTarget: String, ExpressibleByArgument, CaseIterable {
    case host, wasm32, armv7em, riscv32
}

extension Build {
    private func refuseHostOptions() throws {
        if generation.cpu != nil || generation.portable {
            Console.errorLine("--cpu and --portable choose a host processor; --target \(target.rawValue) has none")
            throw ExitStatus.usageOrIO
        }
    }

    private var showProgress: (String) -> Void {
        let terminal = Console.stderrIsTerminal
        return { line in if terminal { Console.error("cnnc: \(line)\n") } }
    }

    /// `--target wasm32`: the module, its JavaScript and the demo page, in the folder `-o` names.
    func buildWebAssembly() throws {
        try refuseHostOptions()
        let (loaded, weights, options) = try generation.generationInputs()
        let module = WebAssemblyEmitter.generate(loaded.network, weights: weights, options: options)
        let directory = BuildDriver.buildDirectory(specPath: loaded.network.spec.path, command: module.name, cpu: CPUTarget("wasm32"))
        let result: WebAssemblyBuilder.Result
        do {
            result = try WebAssemblyBuilder(progress: showProgress).build(module, in: directory, output: output)
        } catch {
            if let compilerOutput = error.compilerOutput { Console.error(compilerOutput) }
            Console.errorLine("\(error.message)")
            throw ExitStatus.inputErrors
        }
        let code = result.moduleBytes - module.weightsBytes
        Console.out("built \(output): \(module.name).wasm \(result.moduleBytes.grouped) bytes (weights \(module.weightsBytes.grouped), code and tables \(code.grouped)), "
            + "arena \(module.arenaBytes.grouped) bytes"
            + (module.preparedBytes > 0 ? ", prepared weights \(module.preparedBytes.grouped) bytes (filled by the first call)" : "")
            + "; \(module.name).js, index.html\n")
        if let latency = result.latency {
            let figure = latency.milliseconds < 1 ? String(format: "%.1f µs", latency.milliseconds * 1000) : String(format: "%.2f ms", latency.milliseconds)
            Console.out("latency in \(latency.runtime) on this machine: \(figure) per call (median of \(latency.runs))\n")
        }
    }

    /// `--target armv7em` or `riscv32`: `libNAME.a` and `NAME.h` in the folder `-o` names.
    func buildMicrocontrollerLibrary(_ device: EmbeddedTarget) throws {
        try refuseHostOptions()
        let (loaded, weights, options) = try generation.generationInputs()
        let library = MicrocontrollerEmitter.generate(loaded.network, weights: weights, options: options, target: device)
        let directory = BuildDriver.buildDirectory(specPath: loaded.network.spec.path, command: library.name, cpu: CPUTarget(device.rawValue))
        let result: MicrocontrollerBuilder.Result
        do {
            result = try MicrocontrollerBuilder(progress: showProgress).build(library, in: directory, output: output)
        } catch {
            if let compilerOutput = error.compilerOutput { Console.error(compilerOutput) }
            Console.errorLine("\(error.message)")
            throw ExitStatus.inputErrors
        }
        let sizes = result.sizes
        Console.out("built \(output): lib\(library.name).a and \(library.name).h for \(device.rawValue); flash \(sizes.flash.grouped) bytes "
            + "(code \(sizes.code.grouped), weights \(sizes.weights.grouped)), RAM \(sizes.ram.grouped) bytes (arena \(library.arenaBytes.grouped))\n")
    }
}
