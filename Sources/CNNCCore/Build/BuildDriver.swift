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
    public static func buildDirectory(specPath: String, command: String, portable: Bool) -> String {
        let absolute = URL(fileURLWithPath: specPath).standardizedFileURL.path
        let key = String(SHA256.hex(Array(absolute.utf8)).prefix(12))
        return cacheRoot + "/builds/\(command)-\(key)\(portable ? "-portable" : "")"
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
        let lock = try lockDirectory(directory)
        defer { close(lock) }
        do {
            let report = try PackageWriter.write(package, to: directory, force: false)
            progress("wrote \(report.written.count) changed file\(report.written.count == 1 ? "" : "s") (\(report.unchanged) unchanged) — \(elapsed())")
        } catch {
            throw Failure(message: error.message)
        }
        progress("compiling with swift build -c release (this takes a while the first time)…")
        let swift = ProcessInfo.processInfo.environment["CNNC_SWIFT"] ?? "swift"
        let result = run([swift, "build", "-c", "release", "--static-swift-stdlib", "--product", package.command], in: directory)
        guard result.status == 0 else {
            throw Failure(message: "the generated package did not build (swift build exited with status \(result.status)); this is a bug in cnnc, please report it with the spec",
                          compilerOutput: result.output)
        }
        progress("compiled — \(elapsed())")
        let binary = directory + "/.build/release/" + package.command
        do {
            let bytes = try FileSystem.read(binary, limit: 1 << 34)
            try PackageWriter.writeAtomically(bytes, to: output)
            chmod(output, 0o755)
        } catch {
            throw Failure(message: error.message)
        }
        progress("wrote \(output) — \(elapsed())")
    }

    /// Serialises builds of the same package (parallel tests, two terminals).
    private func lockDirectory(_ directory: String) throws(Failure) -> Int32 {
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

    /// Runs a command, collecting stdout and stderr together (through a file, so it cannot block).
    private func run(_ arguments: [String], in directory: String) -> (status: Int32, output: String) {
        let logPath = directory + "/.cnnc-build.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath) else { return (127, "cannot write \(logPath)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return (127, "cannot run \(arguments[0]): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        try? log.close()
        let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }
}
