import CNNCRuntime
import Foundation

/// `cnnc build --target wasm32`: the network's core compiled in Embedded Swift for
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
        let lock = try BuildDriver.lockDirectory(directory)
        defer { close(lock) }
        let compilation = try EmbeddedCompilation(target: .wasm32, package: module.package, in: directory, sources: [("entry.c", module.entrySource)])
        progress("compiling the network for wasm32 (Embedded Swift, SIMD128)…")
        let objects = [try compilation.compileCore(),
                       try compilation.compileC(module.package.core.weightsSource, object: "weights.o"),
                       try compilation.compileC(compilation.work + "/entry.c", object: "entry.o")]
        // entry.c's `export_name` attributes are the export list; nothing else is exported.
        let wasm = compilation.work + "/\(module.name).wasm"
        try compilation.run([compilation.tools + "/wasm-ld", "--no-entry", "--gc-sections", "--strip-all", "-z", "stack-size=\(Self.stackBytes)"]
                            + objects + ["-o", wasm], what: "linking the module")
        let moduleBytes = try compilation.read(wasm)
        let files = try EmbeddedCompilation.writeOutputs([("\(module.name).wasm", moduleBytes), ("\(module.name).js", Array(module.javaScript.utf8)),
                                                          ("index.html", Array(module.demoPage.utf8))], to: output)
        return Result(files: files, moduleBytes: moduleBytes.count)
    }
}
