import CNNCRuntime
import Foundation

/// `cnnc build --target wasm32`: the network's core — the same `Core/` Swift sources and C weights
/// as the host library, one kernel source for every target — compiled in Embedded Swift for
/// `wasm32-unknown-none-wasm` with SIMD128, linked by `wasm-ld` with only the live code
/// (`--gc-sections`) and the three exports of `entry.c`. The link has no `--allow-undefined`, so a
/// module that would import anything (a C library function, an allocator) fails to build instead.
/// Writes `NAME.wasm`, `NAME.js` and `index.html` into the output folder.
public struct WebAssemblyBuilder {
    public struct Result: Sendable {
        public var files: [String]
        public var moduleBytes: Int
    }

    /// The stack the kernels run on, below the static data (wasm-ld's default is 64 KiB).
    static let stackBytes = 1 << 20

    public var progress: (String) -> Void

    public init(progress: @escaping (String) -> Void) {
        self.progress = progress
    }

    public func build(_ module: WebAssemblyModule, in directory: String, output: String) throws(BuildDriver.Failure) -> Result {
        guard let tools = CoreLibraryBuilder.toolchainDirectory() else {
            throw BuildDriver.Failure(message: "cannot find the Swift toolchain (swift is not on PATH; set CNNC_TOOLCHAIN_BIN to its bin directory)")
        }
        let lock = try BuildDriver.lockDirectory(directory)
        defer { close(lock) }
        do {
            _ = try PackageWriter.write(module.package, to: directory, force: false)
        } catch {
            throw BuildDriver.Failure(message: error.message)
        }
        let core = module.package.core
        let work = directory + "/.build/cnnc-wasm"
        guard PackageWriter.staysInside(directory, ".build/cnnc-wasm/entry.c", finalMustBeRegularFile: false) else {
            throw BuildDriver.Failure(message: "\(work): a symbolic link or special file inside the build directory is in the way; cnnc writes only inside \(directory)")
        }
        do {
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            try PackageWriter.writeFile(Array(module.entrySource.utf8), to: work + "/entry.c")
        } catch let error as FileError {
            throw BuildDriver.Failure(message: error.message)
        } catch {
            throw BuildDriver.Failure(message: "\(work): cannot create the build directory: \(error.localizedDescription)")
        }
        let wasm = work + "/\(module.name).wasm"
        progress("compiling the network for wasm32 (Embedded Swift, SIMD128)…")
        // -Osize: as fast as -O here (the kernels are specialised either way) and smaller.
        try run([tools + "/swiftc", "-target", "wasm32-unknown-none-wasm", "-enable-experimental-feature", "Embedded",
                 "-parse-as-library", "-wmo", "-Osize", "-module-name", core.swiftModule, "-package-name", core.swiftModule,
                 "-Xcc", "-msimd128", "-Xcc", "-mbulk-memory", "-Xfrontend", "-disable-stack-protector",
                 "-I", core.weightsIncludes, "-c"] + core.swiftSources + ["-o", work + "/core.o"], in: directory, what: "compiling the network")
        for (source, object) in [(core.weightsSource, "weights.o"), (work + "/entry.c", "entry.o")] {
            try run([tools + "/clang", "-target", "wasm32-unknown-unknown", "-std=c23", "-O2", "-msimd128", "-mbulk-memory",
                     "-fno-stack-protector", "-I", core.weightsIncludes, "-c", source, "-o", work + "/" + object],
                    in: directory, what: "compiling the weights and exports")
        }
        // entry.c's `export_name` attributes are the export list; nothing else is exported.
        try run([tools + "/wasm-ld", "--no-entry", "--gc-sections", "--strip-all", "-z", "stack-size=\(Self.stackBytes)",
                 work + "/core.o", work + "/weights.o", work + "/entry.o", "-o", wasm], in: directory, what: "linking the module")
        let moduleBytes: [UInt8]
        do {
            moduleBytes = try FileSystem.read(wasm, limit: 1 << 31)
        } catch {
            throw BuildDriver.Failure(message: error.message)
        }
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            throw BuildDriver.Failure(message: "\(output): cannot create the output folder: \(error.localizedDescription)")
        }
        let files: [(String, [UInt8])] = [("\(module.name).wasm", moduleBytes), ("\(module.name).js", Array(module.javaScript.utf8)),
                                           ("index.html", Array(module.demoPage.utf8))]
        for (name, bytes) in files {
            do {
                try FileIO.writeOutput(path: output + "/" + name, bytes: bytes)
            } catch {
                throw BuildDriver.Failure(message: error.message)
            }
        }
        return Result(files: files.map { output + "/" + $0.0 }, moduleBytes: moduleBytes.count)
    }

    private func run(_ arguments: [String], in directory: String, what: String) throws(BuildDriver.Failure) {
        let result = runCollectingOutput(arguments, in: directory, log: directory + "/.build/cnnc-wasm/log")
        guard result.status == 0 else {
            throw BuildDriver.Failure(message: "\(what) for wasm32 failed (\((arguments[0] as NSString).lastPathComponent) exited with status \(result.status)); this is a bug in cnnc, please report it with the spec",
                                      compilerOutput: result.output)
        }
    }
}
