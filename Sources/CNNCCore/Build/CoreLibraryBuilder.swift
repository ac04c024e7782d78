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
        let swiftObjects = try compileSwift(core, in: directory, tools: tools, cpu: core.cpu, avx512: avx512, into: work)
        try run([tools + "/clang", "-std=c23", "-O2", "-fPIC", "-target", PackageGenerator.hostTriple,
                 "-I", core.weightsIncludes, "-c", core.weightsSource, "-o", weights],
                in: directory, what: "compiling the weights", cpu: core.cpu)
        var objects = swiftObjects + [weights]
        if let dispatch = core.dispatch {
            // Each compilation's symbols made local and its entry points renamed apart before the two meet;
            // the dispatcher defines the entry points' own names.
            let variant = CPUTarget.avx512Variant
            let variantObjects = try compileSwift(core, in: directory, tools: tools, cpu: variant, avx512: true, into: work + "/avx512")
            var renamed: [String] = []
            for (cpu, compiled, place) in [(core.cpu, swiftObjects, work), (variant, variantObjects, work + "/avx512")] {
                let suffix = VariantDispatchEmitter.suffix(cpu)
                try run([tools + "/ld.lld", "-r"] + compiled + ["-o", place + "/entry-points.o"], in: directory, what: "linking the library", cpu: core.cpu)
                try run([tools + "/llvm-objcopy"] + core.entryPoints.flatMap { ["--keep-global-symbol=\($0)", "--redefine-sym=\($0)=\($0)\(suffix)"] }
                        + [place + "/entry-points.o", place + "/renamed.o"],
                        in: directory, what: "renaming the \(cpu.name) entry points", cpu: core.cpu)
                renamed.append(place + "/renamed.o")
            }
            try run([tools + "/clang", "-std=c23", "-O2", "-fPIC", "-target", PackageGenerator.hostTriple,
                     "-I", dispatch.includes, "-c", dispatch.source, "-o", work + "/dispatch.o"],
                    in: directory, what: "compiling the dispatcher", cpu: core.cpu)
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

    /// Compiles the Swift sources for `cpu` into `place` (whole-module, with LLVM's code generation on
    /// every core: one object per source file, named by an output file map), removing objects of sources
    /// that are gone. Returns the objects.
    private func compileSwift(_ core: GeneratedPackage.CoreLibrary, in directory: String, tools: String, cpu: CPUTarget, avx512: Bool,
                              into place: String) throws(Failure) -> [String] {
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
        try run([tools + "/swiftc", "-target", PackageGenerator.hostTriple,
                 "-parse-as-library", "-wmo", "-Ounchecked", "-target-cpu", cpu.compilerName,
                 "-package-name", core.swiftModule, "-module-name", core.swiftModule,
                 "-num-threads", String(availableCores()), "-output-file-map", place + "/output-file-map.json",
                 "-I", core.weightsIncludes] + (avx512 ? ["-D", "CNNC_AVX512"] : []) + ["-c"] + core.swiftSources.map { directory + "/" + $0 },
                in: directory, what: "compiling the network", cpu: cpu)
        for stale in (try? FileManager.default.contentsOfDirectory(atPath: place)) ?? [] where stale.hasPrefix("swift-") && stale.hasSuffix(".o") && !objects.contains(place + "/" + stale) {
            unlink(place + "/" + stale)
        }
        return objects
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
        let result = runCollectingOutput(arguments, in: directory, log: directory + "/.build/cnnc-core/log")
        guard result.status == 0 else {
            if result.output.contains("unknown target CPU") {
                throw Failure(message: "--cpu \(cpu.name): not a processor the Swift compiler knows (use x86-64, x86-64-v2, x86-64-v3, x86-64-v4, native, or an LLVM CPU name such as znver4)",
                              compilerOutput: result.output)
            }
            throw Failure(message: "\(what) failed (\((arguments[0] as NSString).lastPathComponent) exited with status \(result.status)); this is a bug in cnnc, please report it with the spec",
                          compilerOutput: result.output)
        }
    }
}
