import CNNCRuntime
import Foundation
import Testing
import TestTolerance

/// `cnnc build --target armv7em|riscv32`, run for real: a test firmware (Tests/Fixtures/firmware:
/// reset handler that enables the FPU, semihosting, the memory functions a C library would give)
/// links `libNAME.a` through `NAME.h` and runs under QEMU — `qemu-system-arm -M mps2-an386` (a
/// Cortex-M4F board) or `qemu-system-riscv32 -M virt`; it prints the outputs' bits for a seeded
/// input, which must match `cnnc run` (the interpreter). Both FPUs fuse multiply-adds as the host
/// does and the kernels are the host's, so the sums keep the interpreter's order: the same-order row
/// of docs/testing.md's tolerance table applies (measured worst: 0.23 of it, mobile_block).
@Suite struct MicrocontrollerTargetTests {
    struct Board {
        var target: String
        var qemu: [String]
        var clangFlags: [String]
        /// Its "flash" and its RAM less a stack, in bytes.
        var flash: Int, ram: Int
        var package: String

        var emulator: String? {
            ["/usr/bin/", "/usr/local/bin/"].map { $0 + qemu[0] }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
    }

    static let cortexM4 = Board(target: "armv7em", qemu: ["qemu-system-arm", "-M", "mps2-an386"],
                                clangFlags: ["-target", "armv7em-none-eabi", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
                                flash: 4 << 20, ram: (4 << 20) - (256 << 10), package: "qemu-system-arm")
    static let riscV = Board(target: "riscv32", qemu: ["qemu-system-riscv32", "-M", "virt", "-bios", "none"],
                             clangFlags: ["-target", "riscv32-unknown-none-elf", "-march=rv32imafc", "-mabi=ilp32f"],
                             flash: 8 << 20, ram: (8 << 20) - (256 << 10), package: "qemu-system-misc")

    /// On the Cortex-M4F: the fixture with every operation, the hostile names, and models with
    /// residual adds, upsampling, concatenation and transposed convolutions; every bundled model
    /// with `CNNC_ALL_TARGET_MODELS=1` (a minute more).
    static let cortexM4Specs = ProcessInfo.processInfo.environment["CNNC_ALL_TARGET_MODELS"] == "1" ? GeneratedInferencerTests.specs
        : ["Tests/Fixtures/codegen/coverage.yaml", "Tests/Fixtures/codegen/hostile.yaml", "models/lenet5.yaml", "models/digits.yaml",
           "models/resnet_cifar.yaml", "models/unet_small.yaml"]

    @Test(arguments: cortexM4Specs)
    func libraryReproducesTheInterpreterOnCortexM4(_ spec: String) throws {
        try checkLibrary(spec, on: Self.cortexM4)
    }

    /// On RISC-V, the fixture with every operation, the hostile names, and two real models (one
    /// with depthwise and residual layers).
    @Test(arguments: ["Tests/Fixtures/codegen/coverage.yaml", "Tests/Fixtures/codegen/hostile.yaml", "models/lenet5.yaml", "models/mobilenetv2_block.yaml"])
    func libraryReproducesTheInterpreterOnRISCV(_ spec: String) throws {
        try checkLibrary(spec, on: Self.riscV)
    }

    /// Builds `spec` for the board's target: only the memory functions undefined, only the entry
    /// points global, the header's sizes consistent; then, if the board holds it, runs it in QEMU.
    func checkLibrary(_ spec: String, on board: Board) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let weights = GeneratedInferencerTests.inlineModels.contains(spec) ? [] : ["--weights", try seededWeights(spec, in: directory).path]
        let output = directory.appendingPathComponent("mcu")
        let built = try run(cnncBinary, ["build", spec, "--target", board.target, "-o", output.path] + weights,
                            environment: ["CNNC_CACHE_DIR": SharedBuilds.cacheDirectory])
        try #require(built.status == 0, "\(built.stderr)")
        #expect(built.stdout.hasPrefix("built \(output.path): lib") && built.stdout.contains("for \(board.target); flash "), "\(built.stdout)")
        let header = try #require(try FileManager.default.contentsOfDirectory(atPath: output.path).first { $0.hasSuffix(".h") })
        let name = String(header.dropLast(2))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: output.path)) == ["lib\(name).a", "\(name).h"])
        let headerText = try String(contentsOf: output.appendingPathComponent(header), encoding: .utf8)
        let prefix = Self.macroPrefix(headerText)
        func macro(_ name: String) -> Int? {
            headerText.split(separator: "\n").first { $0.hasPrefix("#define \(prefix)_\(name) ") }.flatMap { Int($0.split(separator: " ").last!) }
        }

        // Nothing from a C library but the memory functions; only the two entry points global.
        let archive = output.appendingPathComponent("lib\(name).a")
        let undefined = try run(try toolchainTool("llvm-nm"), ["-u", archive.path])
        try #require(undefined.status == 0, "\(undefined.stderr)")
        let symbols = undefined.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }.filter { !$0.hasSuffix(":") }
        let allowed = try Regex(#"^(mem(cpy|set|move)|__aeabi_mem(cpy|set|clr|move)[48]?)$"#)
        #expect(symbols.allSatisfy { $0.wholeMatch(of: allowed) != nil }, "undefined beyond the memory functions: \(symbols)")
        let defined = try run(try toolchainTool("llvm-nm"), ["--defined-only", "--extern-only", archive.path])
        let globals = Set(defined.stdout.split(separator: "\n").compactMap { $0.split(separator: " ").count == 3 ? String($0.split(separator: " ")[2]) : nil })
        #expect(globals == ["\(prefix.lowercased())_predict", "\(prefix.lowercased())_predict_with_arena"], "\(defined.stdout)")

        let flash = try #require(macro("FLASH_BYTES")), ram = try #require(macro("RAM_BYTES"))
        #expect(ram >= (macro("ARENA_BYTES") ?? .max) && flash > (macro("WEIGHTS_BYTES") ?? .max), "\(headerText)")
        guard flash <= board.flash, ram <= board.ram else {
            // imagenet_stem: 20 MB of weights; the library builds, the board cannot hold it.
            #expect(spec == "models/imagenet_stem.yaml", "\(spec): flash \(flash), RAM \(ram) do not fit the test board")
            return
        }
        let qemu = try #require(board.emulator, "\(board.qemu[0]) runs the \(board.target) tests; .ci/run installs it (apt-get install \(board.package))")

        let shape = try GeneratedInferencerTests().inputShape(spec)
        let input = directory.appendingPathComponent("input.npy")
        try writeRandomInputs(input, shape: [1] + shape, seed: UInt64(spec.utf8.count))
        let expected = directory.appendingPathComponent("expected.npy")
        let interpreted = try cnnc(arguments: ["run", spec, "--input", input.path, "--output", expected.path] + weights)
        try #require(interpreted.status == 0, "\(interpreted.stderr)")
        let firmware = try Self.firmware(board, header: header, prefix: prefix, archive: archive, input: try NPY.read(path: input.path).values, in: directory)
        let ran = try Self.emulate(firmware, on: board, emulator: qemu)
        try #require(ran.status == 0, "the firmware failed: \(ran.stdout) \(ran.stderr)")
        // QEMU writes the semihosting console to its standard error.
        let line = try #require((ran.stdout + ran.stderr).split(separator: "\n").first { $0.hasPrefix("cnnc-output: ") }, "\(ran.stdout) \(ran.stderr)")
        let actual = line.dropFirst("cnnc-output: ".count).split(separator: " ").compactMap { UInt32($0, radix: 16).map(Float.init(bitPattern:)) }
        let reference = try NPY.read(path: expected.path).values
        #expect(actual.count == reference.count)
        if let problem = Tolerance.sameOrder.disagreement(actual, reference) {
            Issue.record("\(spec) on \(board.target): \(problem)")
        }
    }

    @Test func theArenaCanBeTheCallersAndTheStaticOneIsThenLeftOut() throws {
        let board = Self.cortexM4
        let qemu = try #require(board.emulator, "qemu-system-arm runs the Cortex-M tests; .ci/run installs it (apt-get install qemu-system-arm)")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("mcu")
        let built = try run(cnncBinary, ["build", "models/sharpen.yaml", "--target", "armv7em", "-o", output.path],
                            environment: ["CNNC_CACHE_DIR": SharedBuilds.cacheDirectory])
        try #require(built.status == 0, "\(built.stderr)")
        let count = try GeneratedInferencerTests().inputShape("models/sharpen.yaml").reduce(1, *)
        let input: [Float] = (0..<count).map { index in Float((index * 37) % 101) / 101 }
        let statically = try Self.firmware(board, header: "sharpen.h", prefix: "SHARPEN", archive: output.appendingPathComponent("libsharpen.a"),
                                           input: input, in: directory, callerArena: false)
        let withArena = try Self.firmware(board, header: "sharpen.h", prefix: "SHARPEN", archive: output.appendingPathComponent("libsharpen.a"),
                                          input: input, in: directory.appendingPathComponent("caller"), callerArena: true)
        var outputs: [String] = []
        for firmware in [statically, withArena] {
            let ran = try Self.emulate(firmware, on: board, emulator: qemu)
            try #require(ran.status == 0, "\(ran.stdout) \(ran.stderr)")
            outputs.append(ran.stdout + ran.stderr)
        }
        #expect(outputs[0] == outputs[1] && outputs[0].contains("cnnc-output: "))
        // The caller's arena lives in the firmware's own .bss; the library's static one is gone.
        let nm = try toolchainTool("llvm-nm")
        let arenas: [Int] = try [statically, withArena].map { (firmware: URL) -> Int in
            let symbols = try run(nm, [firmware.path]).stdout.split(separator: "\n")
            return symbols.filter { $0.hasSuffix(" arena") }.count
        }
        #expect(arenas == [1, 0], "the library's static arena in each firmware")
    }

    @Test func hostOptionsAreRefusedForTheMicrocontroller() throws {
        let result = try cnnc("build", "models/blur.yaml", "--target", "armv7em", "--portable", "-o", "/nonexistent/mcu")
        #expect(result.status == 2)
        #expect(result.stderr == "cnnc: error: --cpu and --portable choose a host processor; --target armv7em has none\n")
    }

    /// `LENET5` from `#define LENET5_INPUT_COUNT 1024`.
    static func macroPrefix(_ header: String) -> String {
        let line = header.split(separator: "\n").first { $0.hasPrefix("#define ") && $0.contains("_INPUT_COUNT ") }!
        let name = line.split(separator: " ")[1]
        return String(name.dropLast("_INPUT_COUNT".count))
    }

    /// QEMU with semihosting: the firmware's exit status is QEMU's.
    static func emulate(_ firmware: URL, on board: Board, emulator: String) throws -> RunResult {
        try run(URL(fileURLWithPath: emulator), Array(board.qemu.dropFirst()) + ["-nographic", "-monitor", "none", "-serial", "none",
                                                                                           "-semihosting-config", "enable=on,target=native", "-kernel", firmware.path])
    }

    /// Links `archive` into the board's test firmware: a main() that copies `input` (as exact bits),
    /// calls the network through its header, and prints the output's bits.
    static func firmware(_ board: Board, header: String, prefix: String, archive: URL, input: [Float], in directory: URL, callerArena: Bool = false) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let function = prefix.lowercased() + "_predict"
        let bits = input.map { "0x" + String($0.bitPattern, radix: 16) }.joined(separator: ",")
        let main = """
            #include <stdint.h>
            #include "\(header)"
            void put_string(const char *text);
            void put_float_bits(float value);
            static const uint32_t input_bits[\(prefix)_INPUT_COUNT] = {\(bits)};
            static float input[\(prefix)_INPUT_COUNT], output[\(prefix)_OUTPUT_COUNT];
            \(callerArena ? "static _Alignas(\(prefix)_ARENA_ALIGNMENT) unsigned char caller_arena[\(prefix)_ARENA_BYTES];" : "")
            int main(void) {
                for (int i = 0; i < \(prefix)_INPUT_COUNT; i++) {
                    union { uint32_t u; float f; } value = { .u = input_bits[i] };
                    input[i] = value.f;
                }
                \(callerArena ? "\(function)_with_arena(input, output, caller_arena);" : "\(function)(input, output);")
                put_string("cnnc-output: ");
                for (int i = 0; i < \(prefix)_OUTPUT_COUNT; i++) put_float_bits(output[i]);
                put_string("\\n");
                return 0;
            }

            """
        try Data(main.utf8).write(to: directory.appendingPathComponent("main.c"))
        let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/firmware")
        let flags = board.clangFlags + ["-O2", "-ffreestanding", "-ffunction-sections", "-fdata-sections", "-I", archive.deletingLastPathComponent().path]
        let sources = [fixtures.appendingPathComponent("\(board.target)/startup.c"), fixtures.appendingPathComponent("common.c"), directory.appendingPathComponent("main.c")]
        var objects: [String] = []
        for (index, source) in sources.enumerated() {
            objects.append(directory.appendingPathComponent("object\(index).o").path)
            let compiled = try run(try toolchainTool("clang"), flags + ["-c", source.path, "-o", objects[index]])
            try #require(compiled.status == 0, "\(compiled.stderr)")
        }
        let elf = directory.appendingPathComponent("firmware.elf")
        let linked = try run(try toolchainTool("ld.lld"), ["--gc-sections", "-T", fixtures.appendingPathComponent("\(board.target)/link.ld").path]
                                      + objects + [archive.path, "-o", elf.path])
        try #require(linked.status == 0, "\(linked.stderr)")
        return elf
    }
}
