import CNNCRuntime
import Foundation

/// A device `cnnc build --target` compiles the network's core for in Embedded Swift: no Swift
/// runtime, no C library, nothing allocated. The core is the same `Core/` Swift source as the host
/// library's (one kernel source for every target); only the compiler flags differ.
public enum EmbeddedTarget: String, CaseIterable, Sendable {
    /// WebAssembly with SIMD128: a module for browsers and Node.
    case wasm32
    /// Cortex-M4F and M7: Thumb-2 with the single-precision FPU, hard-float calling convention.
    case armv7em
    /// 32-bit RISC-V microcontrollers with the F extension (RV32IMAFC, ilp32f calling convention).
    case riscv32

    /// What swiftc's `-target` takes.
    var swiftTriple: String {
        switch self {
        case .wasm32: "wasm32-unknown-none-wasm"
        case .armv7em: "armv7em-none-none-eabi"
        case .riscv32: "riscv32-none-none-eabi"
        }
    }

    /// What clang's `-target` takes.
    var clangTriple: String {
        switch self {
        case .wasm32: "wasm32-unknown-unknown"
        case .armv7em: "armv7em-none-eabi"
        case .riscv32: "riscv32-unknown-none-elf"
        }
    }

    /// Code generation flags shared by clang and (behind `-Xcc`) swiftc. SIMD128 gives f32x4; the
    /// FPv4-SP flags give `vfma.f32` and the AAPCS-VFP calling convention of Cortex-M4F firmware;
    /// RV32's F extension gives `fmadd.s` and float arguments in float registers.
    var machineFlags: [String] {
        switch self {
        case .wasm32: ["-msimd128", "-mbulk-memory"]
        case .armv7em: ["-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
        case .riscv32: ["-march=rv32imafc", "-mabi=ilp32f"]
        }
    }

    /// For messages and the generated header.
    public var processor: String {
        switch self {
        case .wasm32: "WebAssembly (SIMD128)"
        case .armv7em: "armv7em: Cortex-M4F/M7, Thumb-2, hard float (-mfloat-abi=hard -mfpu=fpv4-sp-d16)"
        case .riscv32: "riscv32: RV32IMAFC, hard float (-march=rv32imafc -mabi=ilp32f)"
        }
    }
}

/// The steps every Embedded Swift target shares: the package written into its build directory
/// (locked against concurrent builds), the core compiled with swiftc, C sources with clang, each
/// tool's output kept in a log that a failure shows.
struct EmbeddedCompilation {
    let target: EmbeddedTarget
    let tools: String
    /// The generated package's build directory, and the folder inside it for this target's objects.
    let directory: String
    let work: String
    let core: GeneratedPackage.CoreLibrary

    /// Writes `package` into `directory` and `sources` (name → text) into the work folder. The caller
    /// holds `BuildDriver.lockDirectory(directory)` meanwhile.
    init(target: EmbeddedTarget, package: GeneratedPackage, in directory: String, sources: [(String, String)]) throws(BuildDriver.Failure) {
        guard let tools = CoreLibraryBuilder.toolchainDirectory() else {
            throw BuildDriver.Failure(message: "cannot find the Swift toolchain (swift is not on PATH; set CNNC_TOOLCHAIN_BIN to its bin directory)")
        }
        self.target = target
        self.tools = tools
        self.directory = directory
        self.core = package.core
        let relativeWork = ".build/cnnc-\(target.rawValue)"
        work = directory + "/" + relativeWork
        do {
            _ = try PackageWriter.write(package, to: directory, force: false)
        } catch {
            throw BuildDriver.Failure(message: error.message)
        }
        for (name, _) in sources where !PackageWriter.staysInside(directory, relativeWork + "/" + name, finalMustBeRegularFile: false) {
            throw BuildDriver.Failure(message: "\(work): a symbolic link or special file inside the build directory is in the way; cnnc writes only inside \(directory)")
        }
        do {
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            for (name, text) in sources {
                try PackageWriter.writeFile(Array(text.utf8), to: work + "/" + name)
            }
        } catch let error as FileError {
            throw BuildDriver.Failure(message: error.message)
        } catch {
            throw BuildDriver.Failure(message: "\(work): cannot create the build directory: \(error.localizedDescription)")
        }
    }

    /// The core in one object. `-Osize` is as fast as `-O` here (the kernels are specialised either
    /// way) and smaller; one section per function lets the link keep only what the entry points reach.
    func compileCore() throws(BuildDriver.Failure) -> String {
        let object = work + "/core.o"
        try run([tools + "/swiftc", "-target", target.swiftTriple, "-enable-experimental-feature", "Embedded",
                 "-parse-as-library", "-wmo", "-Osize", "-module-name", core.swiftModule, "-package-name", core.swiftModule]
                + target.machineFlags.flatMap { ["-Xcc", $0] }
                + ["-Xfrontend", "-disable-stack-protector", "-Xfrontend", "-function-sections",
                   "-I", core.weightsIncludes, "-c"] + core.swiftSources + ["-o", object],
                what: "compiling the network")
        return object
    }

    /// A C source (the weights, or a file of the work folder) in one object, one section per symbol.
    func compileC(_ source: String, object name: String) throws(BuildDriver.Failure) -> String {
        let object = work + "/" + name
        try run([tools + "/clang", "-target", target.clangTriple, "-std=c23", "-O2"] + target.machineFlags
                + ["-ffunction-sections", "-fdata-sections", "-fno-stack-protector", "-I", core.weightsIncludes,
                   "-c", source, "-o", object],
                what: "compiling the weights and entry points")
        return object
    }

    func run(_ arguments: [String], what: String) throws(BuildDriver.Failure) {
        let result = runCollectingOutput(arguments, in: directory, log: work + "/log")
        guard result.status == 0 else {
            throw BuildDriver.Failure(message: "\(what) for \(target.rawValue) failed (\((arguments[0] as NSString).lastPathComponent) exited with status \(result.status)); this is a bug in cnnc, please report it with the spec",
                                      compilerOutput: result.output)
        }
    }

    /// Writes the finished files into the output folder `-o` named.
    static func writeOutputs(_ files: [(String, [UInt8])], to output: String) throws(BuildDriver.Failure) -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            throw BuildDriver.Failure(message: "\(output): cannot create the output folder: \(error.localizedDescription)")
        }
        for (name, bytes) in files {
            do {
                try FileIO.writeOutput(path: output + "/" + name, bytes: bytes)
            } catch {
                throw BuildDriver.Failure(message: error.message)
            }
        }
        return files.map { output + "/" + $0.0 }
    }

    func read(_ path: String) throws(BuildDriver.Failure) -> [UInt8] {
        do {
            return try FileSystem.read(path, limit: 1 << 31)
        } catch {
            throw BuildDriver.Failure(message: error.message)
        }
    }
}
