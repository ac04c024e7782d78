import CNNCRuntime
import Foundation

/// `cnnc build --target armv7em` or `riscv32`: the network's core compiled in Embedded Swift, with the weights
/// and `entry.c`, partially linked with `--gc-sections` from the two entry points (so the standard
/// library's allocator, hashing and array code that the network never calls leave with everything
/// they refer to), every symbol but the entry points made local, and archived. Writes `libNAME.a`
/// and `NAME.h` (with the sizes measured here) into the output folder.
public struct MicrocontrollerBuilder {
    public struct Result: Sendable {
        public var files: [String]
        public var sizes: MicrocontrollerLibrary.Sizes
    }

    public var progress: (String) -> Void

    public init(progress: @escaping (String) -> Void) {
        self.progress = progress
    }

    public func build(_ library: MicrocontrollerLibrary, in directory: String, output: String) throws(BuildDriver.Failure) -> Result {
        let lock = try BuildDriver.lockDirectory(directory)
        defer { close(lock) }
        let compilation = try EmbeddedCompilation(target: library.target, package: library.package, in: directory, sources: [("entry.c", library.entrySource)])
        let tools = compilation.tools, work = compilation.work
        progress("compiling the network for \(library.target.rawValue) (Embedded Swift)…")
        let objects = [try compilation.compileCore(),
                       try compilation.compileC(library.package.core.weightsSource, object: "weights.o"),
                       try compilation.compileC(work + "/entry.c", object: "entry.o")]
        let combined = work + "/combined.o", linked = work + "/\(library.name).o", archive = work + "/lib\(library.name).a"
        try compilation.run([tools + "/ld.lld", "-r", "--gc-sections"] + library.exportedSymbols.flatMap { ["-u", $0] } + objects + ["-o", combined],
                            what: "linking the library")
        try compilation.run([tools + "/llvm-objcopy"] + library.exportedSymbols.map { "--keep-global-symbol=\($0)" } + [combined, linked],
                            what: "hiding the library's internal symbols")
        let sizes: MicrocontrollerLibrary.Sizes
        do {
            let sections = try ELFSections(try compilation.read(linked))
            sizes = MicrocontrollerLibrary.Sizes(code: sections.flashBytes - library.weightsBytes, weights: library.weightsBytes, ram: sections.ramBytes)
        } catch {
            throw BuildDriver.Failure(message: "\(linked): \(error); this is a bug in cnnc, please report it with the spec")
        }
        unlink(archive)
        try compilation.run([tools + "/llvm-ar", "rcs", archive, linked], what: "archiving the library")
        let files = try EmbeddedCompilation.writeOutputs([("lib\(library.name).a", try compilation.read(archive)),
                                                          ("\(library.name).h", Array(library.header(sizes: sizes).utf8))], to: output)
        return Result(files: files, sizes: sizes)
    }
}

/// The sizes of a 32-bit little-endian ELF relocatable object's allocated sections: what goes to
/// flash (code, constants, initialised data's initial values) and what occupies RAM (writable data
/// and zero-filled data).
struct ELFSections {
    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    var flashBytes = 0
    var ramBytes = 0

    init(_ bytes: [UInt8]) throws(Malformed) {
        func word(_ offset: Int, _ size: Int) throws(Malformed) -> Int {
            guard offset >= 0, offset + size <= bytes.count else { throw Malformed(description: "truncated ELF object") }
            var value = 0
            for index in (0..<size).reversed() { value = value << 8 | Int(bytes[offset + index]) }
            return value
        }
        guard bytes.count >= 52, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46], bytes[4] == 1, bytes[5] == 1 else {
            throw Malformed(description: "not a 32-bit little-endian ELF object")
        }
        let (sectionTable, entrySize, count) = (try word(0x20, 4), try word(0x2E, 2), try word(0x30, 2))
        let (allocated, writable, noBits) = (0x2, 0x1, 8)
        for index in 0..<count {
            let header = sectionTable + index * entrySize
            let (type, flags, size) = (try word(header + 4, 4), try word(header + 8, 4), try word(header + 20, 4))
            guard flags & allocated != 0 else { continue }
            if type != noBits { flashBytes += size }
            if flags & writable != 0 { ramBytes += size }
        }
    }
}
