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
        /// One call's latency in Node, when Node is installed.
        public var latency: Latency?
    }

    public struct Latency: Sendable {
        public var milliseconds: Double
        public var runs: Int
        /// `Node v20.19.2`.
        public var runtime: String
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
        progress("measuring one call's latency in Node…")
        return Result(files: files, moduleBytes: moduleBytes.count, latency: measureLatency(output + "/\(module.name).js", in: compilation))
    }

    /// The median of repeated `predict()` calls on a zero input in Node, through `NAME.js` (about half
    /// a second of calls, 3 to 200); nil where Node is not installed or the measurement fails.
    func measureLatency(_ script: String, in compilation: EmbeddedCompilation) -> Latency? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        guard let node = path.split(separator: ":").map({ "\($0)/node" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return nil
        }
        let measurement = """
            import { pathToFileURL } from 'node:url';
            const net = await import(pathToFileURL(process.argv[1]));
            await net.load();
            const values = new Float32Array(net.inputShape.reduce((a, b) => a * b));
            net.predict(values);
            let start = performance.now();
            net.predict(values);
            const once = performance.now() - start;
            const runs = Math.max(3, Math.min(200, Math.ceil(500 / Math.max(once, 0.001))));
            const times = [];
            for (let i = 0; i < runs; i++) {
              start = performance.now();
              net.predict(values);
              times.push(performance.now() - start);
            }
            times.sort((a, b) => a - b);
            console.log(`cnnc-latency ${times[times.length >> 1]} ${runs} ${process.version}`);
            """
        let log = compilation.work + "/latency.log"
        let result = runCollectingOutput([node, "--input-type=module", "-e", measurement, script], in: compilation.directory, log: log)
        let fields = result.output.split(separator: "\n").last { $0.hasPrefix("cnnc-latency ") }?.split(separator: " ") ?? []
        guard result.status == 0, fields.count == 4, let milliseconds = Double(fields[1]), let runs = Int(fields[2]) else { return nil }
        return Latency(milliseconds: milliseconds, runs: runs, runtime: "Node \(fields[3])")
    }
}
