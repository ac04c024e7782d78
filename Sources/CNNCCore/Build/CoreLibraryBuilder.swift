import CNNCRuntime
import Foundation

/// Compiles a generated package's network (`Core/`) into the static library its manifest names as a
/// binary target: the Swift sources (whole-module, `-Ounchecked`, for the chosen CPU), the weights in
/// C, then one relocatable object whose only global symbol is the network's C entry point — every
/// kernel and the weights are local, so any number of generated libraries link into one program. The
/// object refers to a few Swift standard library symbols (the kernels' Hashable conformances), which
/// every Swift program links.
///
/// Not Embedded Swift, although the sources compile in it: Embedded Swift left the kernels' stores
/// out of line and ran lenet5 2.2× slower (docs/codegen.md).
///
/// Skipped when the sources, the CPU and the compiler are those of the last build (a stamp file
/// beside the objects records them).
public struct CoreLibraryBuilder {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var compilerOutput: String?
        public var description: String { message }
    }

    /// The directory of the Swift toolchain's tools: `$CNNC_TOOLCHAIN_BIN`, else the directory of the
    /// `swift` (`$CNNC_SWIFT`) found on PATH, symlinks resolved.
    public static func toolchainDirectory() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["CNNC_TOOLCHAIN_BIN"], !explicit.isEmpty { return explicit }
        let swift = environment["CNNC_SWIFT"] ?? "swift"
        let candidates = swift.contains("/") ? [swift]
            : (environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/\(swift)" }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            let resolved = URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path
            return (resolved as NSString).deletingLastPathComponent
        }
        return nil
    }

    public var progress: (String) -> Void

    public init(progress: @escaping (String) -> Void) {
        self.progress = progress
    }

    /// Builds `package.core` inside `directory` (where the package was written). Returns false when
    /// the library was already up to date.
    @discardableResult
    public func build(_ package: GeneratedPackage, in packageDirectory: String) throws(Failure) -> Bool {
        let core = package.core
        let directory = URL(fileURLWithPath: packageDirectory).standardizedFileURL.path
        guard let tools = Self.toolchainDirectory() else {
            throw Failure(message: "cannot find the Swift toolchain (swift is not on PATH; set CNNC_TOOLCHAIN_BIN to its bin directory)")
        }
        let work = directory + "/.build/cnnc-core"
        let library = directory + "/" + core.library
        // Everything written or removed below lies inside the package, reached without a symbolic link.
        for place in [".build/cnnc-core/stamp", core.library] where !PackageWriter.staysInside(directory, place, finalMustBeRegularFile: false) {
            throw Failure(message: "\(directory)/\(place): a symbolic link or special file inside the package directory is in the way; cnnc writes only inside \(directory)")
        }
        do {
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: (library as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw Failure(message: "\(work): cannot create the build directory: \(error.localizedDescription)")
        }
        let avx512 = Self.hasAVX512(core.cpu, tools: tools, log: work + "/cpu-features")
        var stamp = [UInt8]("\(core.cpu.compilerName)\(avx512 ? " avx512" : "")\(core.dispatch == nil ? "" : " with-avx512-variant")\n\(core.exportedSymbols)\n\(tools)\n".utf8)
        for file in package.files where file.path.hasPrefix("Core/") {
            stamp += Array(file.path.utf8) + SHA256.digest(file.bytes)
        }
        let stampText = SHA256.hex(stamp) + "\n"
        let stampPath = work + "/stamp"
        if FileManager.default.fileExists(atPath: library),
           (try? String(contentsOfFile: stampPath, encoding: .utf8)) == stampText {
            return false
        }
        progress("compiling the network for \(core.cpu) (-Ounchecked)…")
        let weights = work + "/weights.o", combined = work + "/combined.o", linked = work + "/\(core.swiftModule).o"
        // The compilations run side by side: each spends most of its time in the Swift optimizer, on one
        // core (imagenet_stem's two: 8.4 s and 14.6 s alone, 12.8 s together on two cores).
        var compilations = [SwiftCompilation(cpu: core.cpu, avx512: avx512, place: work)]
        if core.dispatch != nil {
            compilations.append(SwiftCompilation(cpu: CPUTarget.avx512Variant, avx512: true, place: work + "/avx512"))
        }
        var jobs = try compilations.map { compilation throws(Failure) in try swiftJob(compilation, core, in: directory, tools: tools) }
        jobs.append(Job(arguments: [tools + "/clang", "-std=c23", "-O2", "-fPIC", "-target", PackageGenerator.hostTriple,
                                    "-I", core.weightsIncludes, "-c", core.weightsSource, "-o", weights],
                        what: "compiling the weights", cpu: core.cpu, log: work + "/weights-log"))
        if let dispatch = core.dispatch {
            jobs.append(Job(arguments: [tools + "/clang", "-std=c23", "-O2", "-fPIC", "-target", PackageGenerator.hostTriple,
                                        "-I", dispatch.includes, "-c", dispatch.source, "-o", work + "/dispatch.o"],
                            what: "compiling the dispatcher", cpu: core.cpu, log: work + "/dispatch-log"))
        }
        try runSideBySide(jobs, in: directory)
        var objects = jobs[0].objects + [weights]
        if core.dispatch != nil {
            // Each compilation's symbols made local and its entry points renamed apart before the two meet;
            // the dispatcher defines the entry points' own names.
            var renamed: [String] = []
            for (compilation, job) in zip(compilations, jobs) {
                let suffix = VariantDispatchEmitter.suffix(compilation.cpu), place = compilation.place
                try run([tools + "/ld.lld", "-r"] + job.objects + ["-o", place + "/entry-points.o"], in: directory, what: "linking the library", cpu: core.cpu)
                try run([tools + "/llvm-objcopy"] + core.entryPoints.flatMap { ["--keep-global-symbol=\($0)", "--redefine-sym=\($0)=\($0)\(suffix)"] }
                        + [place + "/entry-points.o", place + "/renamed.o"],
                        in: directory, what: "renaming the \(compilation.cpu.name) entry points", cpu: core.cpu)
                renamed.append(place + "/renamed.o")
            }
            objects = renamed + [weights, work + "/dispatch.o"]
        }
        try run([tools + "/ld.lld", "-r"] + objects + ["-o", combined], in: directory, what: "linking the library", cpu: core.cpu)
        try run([tools + "/llvm-objcopy"] + core.exportedSymbols.map { "--keep-global-symbol=\($0)" } + [combined, linked],
                in: directory, what: "hiding the library's internal symbols", cpu: core.cpu)
        // Archives of earlier sources (their own hash-named folders) go.
        let libraries = ((library as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        let current = ((library as NSString).deletingLastPathComponent as NSString).lastPathComponent
        let librariesRelative = (core.library as NSString).deletingLastPathComponent.components(separatedBy: "/").dropLast().joined(separator: "/")
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: libraries)) ?? [] where stale != current {
            // Only hash-named folders of archives this builder wrote: no link is followed.
            let archive = "\(librariesRelative)/\(stale)/\((core.library as NSString).lastPathComponent)"
            guard PackageWriter.staysInside(directory, archive, finalMustBeRegularFile: true) else { continue }
            unlink(directory + "/" + archive)
            rmdir(libraries + "/" + stale)
        }
        let temporary = library + ".tmp-\(getpid())"
        unlink(temporary)
        try run([tools + "/llvm-ar", "rcs", temporary, linked], in: directory, what: "archiving the library", cpu: core.cpu)
        guard rename(temporary, library) == 0 else {
            throw Failure(message: "\(library): cannot write: \(String(cString: strerror(errno)))")
        }
        do {
            try PackageWriter.writeFile(Array(stampText.utf8), to: stampPath)
        } catch {
            throw Failure(message: error.message)
        }
        return true
    }

    /// One compilation of the network's Swift sources: for `cpu`, with `CNNC_AVX512` or without, its
    /// objects in `place`.
    private struct SwiftCompilation {
        var cpu: CPUTarget
        var avx512: Bool
        var place: String
    }

    /// A command of the build, what it does (for its failure's message), the CPU its failure names, the
    /// file that keeps its output, and the objects it writes.
    private struct Job {
        var arguments: [String]
        var what: String
        var cpu: CPUTarget
        var log: String
        var objects: [String] = []
    }

    /// The `swiftc` run of `compilation` (whole-module, with LLVM's code generation on every core: one
    /// object per source file, named by an output file map, which is written here), after removing
    /// objects of sources that are gone.
    private func swiftJob(_ compilation: SwiftCompilation, _ core: GeneratedPackage.CoreLibrary, in directory: String,
                          tools: String) throws(Failure) -> Job {
        let place = compilation.place
        var objects: [String] = []
        var outputMap: [(String, JSONValue)] = []
        for source in core.swiftSources {
            let object = place + "/swift-" + (source as NSString).lastPathComponent.replacingOccurrences(of: ".swift", with: ".o")
            objects.append(object)
            outputMap.append((directory + "/" + source, .object([("object", .string(object))])))
        }
        do {
            try FileManager.default.createDirectory(atPath: place, withIntermediateDirectories: true)
            try PackageWriter.writeFile(Array(JSONValue.object(outputMap).rendered().utf8), to: place + "/output-file-map.json")
        } catch {
            throw Failure(message: "\(place): cannot write the build's files: \(error.localizedDescription)")
        }
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: place)) ?? [] where stale.hasPrefix("swift-") && stale.hasSuffix(".o") && !objects.contains(place + "/" + stale) {
            unlink(place + "/" + stale)
        }
        return Job(arguments: [tools + "/swiftc", "-target", PackageGenerator.hostTriple,
                               "-parse-as-library", "-wmo", "-Ounchecked", "-target-cpu", compilation.cpu.compilerName,
                               "-package-name", core.swiftModule, "-module-name", core.swiftModule,
                               "-num-threads", String(availableCores()), "-output-file-map", place + "/output-file-map.json",
                               "-I", core.weightsIncludes] + (compilation.avx512 ? ["-D", "CNNC_AVX512"] : [])
                               + ["-c"] + core.swiftSources.map { directory + "/" + $0 },
                   what: "compiling the network", cpu: compilation.cpu, log: place + "/swiftc-log", objects: objects)
    }

    /// Whether `cpu` has AVX-512 (its foundation, `__AVX512F__` in the toolchain's clang for that
    /// `-march`): the core is then compiled with `CNNC_AVX512`, and the register blocks of the GEMM (which
    /// Winograd and the transposed convolution use too) and of the channel-lane kernel multiply 512-bit
    /// vectors (docs/codegen.md). False off x86-64 and for names clang does not know, which the Swift
    /// compiler then reports. Asked on every build, up to date or not: the answer for `native` is the
    /// machine's, so it belongs in the stamp (one preprocessor run of an empty file).
    static func hasAVX512(_ cpu: CPUTarget, tools: String, log: String) -> Bool {
        #if arch(x86_64)
        let result = runCollectingOutput([tools + "/clang", "-target", PackageGenerator.hostTriple, "-march=\(cpu.compilerName)",
                                          "-dM", "-E", "-x", "c", "/dev/null"], in: "/", log: log)
        return result.status == 0 && result.output.contains("#define __AVX512F__ 1")
        #else
        return false
        #endif
    }

    private func run(_ arguments: [String], in directory: String, what: String, cpu: CPUTarget) throws(Failure) {
        try runSideBySide([Job(arguments: arguments, what: what, cpu: cpu, log: directory + "/.build/cnnc-core/log")], in: directory)
    }

    /// Runs the jobs at the same time; throws the first failure, in the jobs' order, once all have finished.
    private func runSideBySide(_ jobs: [Job], in directory: String) throws(Failure) {
        let results = CNNCCore.runSideBySide(jobs.map { ChildCommand(arguments: $0.arguments, directory: directory, log: $0.log) })
        for (job, result) in zip(jobs, results) where result.status != 0 {
            if result.output.contains("unknown target CPU") {
                throw Failure(message: "--cpu \(job.cpu.name): not a processor the Swift compiler knows (use x86-64, x86-64-v2, x86-64-v3, x86-64-v4, native, or an LLVM CPU name such as znver4)",
                              compilerOutput: result.output)
            }
            throw Failure(message: "\(job.what) failed (\((job.arguments[0] as NSString).lastPathComponent) exited with status \(result.status)); this is a bug in cnnc, please report it with the spec",
                          compilerOutput: result.output)
        }
    }
}
