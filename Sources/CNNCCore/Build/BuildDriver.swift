import CNNCRuntime
import Foundation

/// `cnnc build`: generate into a cache directory, run `swift build -c release`, copy the binary out.
public struct BuildDriver {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var message: String
        /// The compiler's output, when the generated code failed to build.
        public var compilerOutput: String?
        public var description: String { message }
    }

    /// Where packages are built: `$CNNC_CACHE_DIR`, else `$XDG_CACHE_HOME/cnnc`, else `~/.cache/cnnc`.
    public static var cacheRoot: String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["CNNC_CACHE_DIR"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/cnnc" }
        return NSHomeDirectory() + "/.cache/cnnc"
    }

    /// One build directory per spec file and flavour, so rebuilding after an edit is incremental.
    public static func buildDirectory(specPath: String, command: String, cpu: CPUTarget) -> String {
        let absolute = URL(fileURLWithPath: specPath).standardizedFileURL.path
        let key = String(SHA256.hex(Array(absolute.utf8)).prefix(12))
        return cacheRoot + "/builds/\(command)-\(key)-\(SwiftNames.commandName(cpu.cacheName))"
    }

    /// The binary links the Swift runtime statically and is stripped: it needs only the C library.
    public static func swiftBuildArguments(product: String) -> [String] {
        ["build", "-c", "release", "--static-swift-stdlib", "--product", product, "-Xlinker", "--strip-all"]
    }

    /// Progress lines ("stage… elapsed"), shown only on a terminal.
    public var progress: (String) -> Void

    public init(progress: @escaping (String) -> Void) {
        self.progress = progress
    }

    /// Builds `package` in `directory` and copies the executable to `output` atomically.
    public func build(_ package: GeneratedPackage, in directory: String, output: String) throws(Failure) {
        let start = Date()
        func elapsed() -> String { String(format: "%.1f s", Date().timeIntervalSince(start)) }
        progress("generating \(package.module) in \(directory)")
        let lock = try Self.lockDirectory(directory)
        defer { close(lock) }
        do {
            let report = try PackageWriter.write(package, to: directory, force: false)
            progress("wrote \(report.written.count) changed file\(report.written.count == 1 ? "" : "s") (\(report.unchanged) unchanged) — \(elapsed())")
        } catch {
            throw Failure(message: error.message)
        }
        do {
            try CoreLibraryBuilder(progress: progress).build(package, in: directory)
        } catch {
            throw Failure(message: error.message, compilerOutput: error.compilerOutput)
        }
        progress("compiling the inferencer with swift build -c release (this takes a while the first time)…")
        let swift = ProcessInfo.processInfo.environment["CNNC_SWIFT"] ?? "swift"
        let result = runCollectingOutput([swift] + Self.swiftBuildArguments(product: package.command), in: directory, log: directory + "/.cnnc-build.log")
        guard result.status == 0 else {
            throw Failure(message: "the generated package did not build (swift build exited with status \(result.status)); this is a bug in cnnc, please report it with the spec",
                          compilerOutput: result.output)
        }
        progress("compiled — \(elapsed())")
        let binary = directory + "/.build/release/" + package.command
        do {
            let bytes = try FileSystem.read(binary, limit: 1 << 30)
            try FileIO.writeOutput(path: output, bytes: bytes, executable: true)
        } catch let error as FileError {
            throw Failure(message: error.message)
        } catch let error as RuntimeError {
            throw Failure(message: error.message)
        } catch {
            throw Failure(message: "\(output): \(error)")
        }
        progress("wrote \(output) — \(elapsed())")
    }

    /// Serialises builds of the same package (parallel tests, two terminals).
    static func lockDirectory(_ directory: String) throws(Failure) -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(message: "\(directory): cannot create the build directory: \(error.localizedDescription)")
        }
        let descriptor = open(directory + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(message: "\(directory).lock: cannot open: \(String(cString: strerror(errno)))") }
        flock(descriptor, LOCK_EX)
        return descriptor
    }
}
