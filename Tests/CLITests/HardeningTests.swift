import CNNCRuntime
import Foundation
import Testing

/// Hostile inputs (issue 13): each case reproduces a defect first, then asserts the clean error, the
/// exit status, and that nothing was written where it should not be.
@Suite struct HardeningTests {
    /// `-o ""` once made `generate` write its package into `/`.
    @Test func emptyOrBlankOutputPathsAreUsageErrors() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = repositoryRoot.appendingPathComponent("models/blur.yaml").path
        let model = repositoryRoot.appendingPathComponent("Tests/Fixtures/onnx/pytorch/mnist_sequential-opset11.onnx").path
        let commands: [[String]] = [
            ["generate", spec, "-o"], ["build", spec, "-o"], ["export", spec, "-o"], ["init-weights", spec, "-o"],
            ["import", model, "-o"], ["run", spec, "--input", repositoryRoot.appendingPathComponent("models/digits-7.pgm").path, "--output"],
        ]
        for command in commands {
            for path in ["", "  "] {
                let result = try run(cnncBinary, command + [path], in: directory)
                #expect(result.status == 2, "\(command) '\(path)': \(result.stderr)")
                #expect(result.stderr == "cnnc: error: the output path is \(path.isEmpty ? "empty" : "blank"); name a file or directory\n", "\(command)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/Package.swift") && !FileManager.default.fileExists(atPath: "/.cnnc-generated"))
    }
}

extension HardeningTests {
    /// `--input /dev/zero` read 2.2 GB and aborted; an 8 GB `.f32` aborted.
    @Test func inputFilesAreReadOnlyUpToTheirLimit() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let device = try cnnc("run", "models/blur.yaml", "--input", "/dev/zero", "--output", directory.appendingPathComponent("a.npy").path)
        #expect(device.status == 1)
        #expect(device.stderr == "cnnc: error: /dev/zero: holds more than 536870912 bytes; a file read here may hold at most 512 MiB (536870912 bytes): split the batch into several files\n", "\(device.stderr)")
        // A sparse 8 GB file: refused from its size, before anything is read.
        let big = directory.appendingPathComponent("big.f32")
        #expect(FileManager.default.createFile(atPath: big.path, contents: nil))
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: 8 << 30)
        try handle.close()
        let sparse = try cnnc("run", "models/blur.yaml", "--input", big.path, "--format", "json")
        #expect(sparse.status == 1)
        #expect(sparse.stderr.hasSuffix("big.f32: is 8589934592 bytes; a file read here may hold at most 512 MiB (536870912 bytes): split the batch into several files\n"), "\(sparse.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["big.f32"])
    }
}

extension HardeningTests {
    /// A temporary name made from a 64-character stem exceeded NAME_MAX for multi-byte names: a legal
    /// 252-byte output name could not be written.
    @Test func longMultiByteOutputNamesAreWritten() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let stem = String(repeating: "é", count: 120)  // 240 bytes
        let weights = directory.appendingPathComponent(stem + ".safetensors").path  // 252 bytes
        let outputs = [
            ["init-weights", "models/lenet5.yaml", "-o", weights],
            ["export", "models/lenet5.yaml", "--weights", weights, "-o", directory.appendingPathComponent(stem + ".onnx").path],
            ["run", "models/digits.yaml", "--input", "models/digits-7.pgm", "--output", directory.appendingPathComponent(stem + ".npy").path],
        ]
        for arguments in outputs {
            let result = try cnnc(arguments: arguments)
            #expect(result.status == 0, "\(arguments[0]): \(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [stem + ".npy", stem + ".onnx", stem + ".safetensors"])
    }
}

extension HardeningTests {
    /// `cnnc run --top 0` was accepted while the built binary refused it.
    @Test func topZeroIsRefusedLikeTheBinaryRefusesIt() throws {
        let result = try cnnc("run", "models/digits.yaml", "--input", "models/digits-7.pgm", "--top", "0")
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("cnnc: error: --top needs an integer of at least 1, got '0'\n"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}

extension HardeningTests {
    /// Tensor names from a weights file reached the terminal raw: an escape sequence recoloured it,
    /// U+202E reversed the text after it, a line break started a fake message.
    @Test func fileContentInMessagesIsEscaped() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let names = ["evil\u{1B}[31mred", "rtl\u{202E}exe.yaml", "nl\nerror: fake"]
        var header = "{"
        for (index, name) in names.enumerated() {
            let escaped = name.unicodeScalars.map { $0.value < 0x20 || $0.value > 0x7E ? String(format: "\\u%04x", $0.value) : String($0) }.joined()
            header += (index > 0 ? "," : "") + "\"\(escaped)\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\(index * 4),\(index * 4 + 4)]}"
        }
        header += "}"
        while header.utf8.count % 8 != 0 { header += " " }
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init) + Array(header.utf8)
        bytes += [UInt8](repeating: 0, count: 4 * names.count)
        let weights = directory.appendingPathComponent("evil.safetensors")
        try Data(bytes).write(to: weights)
        let result = try cnnc("run", "models/digits.yaml", "--weights", weights.path, "--input", "models/digits-7.pgm")
        #expect(result.status == 1)
        for shown in ["'evil\\u{1B}[31mred'", "'nl\\u{A}error: fake'", "'rtl\\u{202E}exe.yaml'"] {
            #expect(result.stderr.contains("warning: tensor \(shown) in "), "\(result.stderr)")
        }
        #expect(!result.stderr.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{202E}" })
        #expect(!result.stderr.split(separator: "\n").contains { $0.hasPrefix("error: fake") })
    }
}

/// Runs a program with posix_spawn and reaps it with wait4, for its own CPU time and peak memory
/// (getrusage of that one child: tests run in parallel, so RUSAGE_CHILDREN would mix them up).
/// Output goes to files in `directory`; the working directory is the test's.
func runMeasuringResources(_ executable: URL, _ arguments: [String], outputIn directory: URL) throws -> (status: Int32, stderr: String, cpuSeconds: Double, peakMegabytes: Double) {
    let stdoutPath = directory.appendingPathComponent("measured.stdout").path
    let stderrPath = directory.appendingPathComponent("measured.stderr").path
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, executable.path, &actions, nil, argv, environ) == 0 else { throw BuildError(message: "cannot run \(executable.path)") }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exitStatus, (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "", cpu, Double(usage.ru_maxrss) / 1024)
}

extension HardeningTests {
    /// Diagnostics were copied once per layer: 32,000 bad layers took 43 s. `layers` now holds at
    /// most 10,000 entries; 10,000 bad layers take about 0.13 s of CPU and 40 MB (debug build), and
    /// the bound is ten times that (docs/hardening.md).
    @Test func tenThousandBadLayersAreReportedQuickly() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = "name: m\ninput: {channels: 1, height: 4, width: 4}\nlayers:\n" + String(repeating: "  - relu: {alpha: 1}\n", count: 10_000)
        try spec.write(to: directory.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let measured = try runMeasuringResources(cnncBinary, ["check", directory.appendingPathComponent("bad.yaml").path], outputIn: directory)
        #expect(measured.status == 1)
        #expect(measured.stderr.hasSuffix("bad.yaml: 10000 errors\n"))
        #expect(measured.cpuSeconds < 1.5, "\(measured.cpuSeconds) s of CPU")
        #expect(measured.peakMegabytes < 400, "\(measured.peakMegabytes) MB")
    }
}

extension HardeningTests {
    /// The similar-tensor hint recomputed every layer's slots per missing tensor: 250 convolutions
    /// and 500 unrelated tensors took 125 s. Now about 0.3 s of CPU (debug build); bound ten times that.
    @Test func missingTensorHintsStayFastWithManyCandidates() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = "name: m\ninput: {channels: 1, height: 4, width: 4}\nlayers:\n"
            + (0..<250).map { "  - conv: {name: c\($0), channels: 1, kernel: 1}\n" }.joined()
        try spec.write(to: directory.appendingPathComponent("convs.yaml"), atomically: true, encoding: .utf8)
        var header: [String] = []
        for index in 0..<500 {
            header.append("\"other.\(index).weight\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1],\"data_offsets\":[\(index * 8),\(index * 8 + 4)]}")
            header.append("\"other.\(index).bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\(index * 8 + 4),\(index * 8 + 8)]}")
        }
        var json = "{" + header.joined(separator: ",") + "}"
        while json.utf8.count % 8 != 0 { json += " " }
        let bytes = withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian, Array.init) + Array(json.utf8) + [UInt8](repeating: 0, count: 4000)
        try Data(bytes).write(to: directory.appendingPathComponent("similar.safetensors"))
        let measured = try runMeasuringResources(cnncBinary, ["check", directory.appendingPathComponent("convs.yaml").path,
                                                              "--weights", directory.appendingPathComponent("similar.safetensors").path], outputIn: directory)
        #expect(measured.status == 1)
        #expect(measured.stderr.contains("note: the file has 500 sets of tensors of those shapes, such as 'other.0.weight'"), "\(measured.stderr.prefix(2000))")
        #expect(measured.cpuSeconds < 3.5, "\(measured.cpuSeconds) s of CPU")
    }
}

extension HardeningTests {
    /// An inline filter replicated over 2³¹−1 channels aborted ("Object was retained too many times");
    /// `init-weights` of 4·10⁹ parameters ran for minutes, took 15 GB and wrote 16 GB.
    @Test func weightsBeyondTheLimitAreADiagnosticNotAnAbort() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let replicated = directory.appendingPathComponent("replicated.yaml")
        try "name: m\ninput: {channels: 1, height: 4, width: 4}\nlayers:\n  - conv: {channels: 2147483647, kernel: 3, weight: [[1,2,1],[2,4,2],[1,2,1]]}\n"
            .write(to: replicated, atomically: true, encoding: .utf8)
        let check = try runMeasuringResources(cnncBinary, ["check", replicated.path], outputIn: directory)
        #expect(check.status == 1)
        #expect(check.stderr.contains(":4:5: error: the network has 21,474,836,470 parameter values (80 GiB as float32), more than the 1,073,741,824 (4 GiB) cnnc can give weights to; 'conv1' alone has 21,474,836,470"), "\(check.stderr)")
        #expect(check.cpuSeconds < 2 && check.peakMegabytes < 500, "\(check.cpuSeconds) s, \(check.peakMegabytes) MB")

        let large = directory.appendingPathComponent("large.yaml")
        try "name: m\ninput: {channels: 1, height: 1, width: 1}\nlayers:\n  - flatten: {}\n  - dense: {units: 2000000000}\n"
            .write(to: large, atomically: true, encoding: .utf8)
        let weights = directory.appendingPathComponent("large.safetensors")
        let initialized = try runMeasuringResources(cnncBinary, ["init-weights", large.path, "-o", weights.path], outputIn: directory)
        #expect(initialized.status == 1)
        #expect(initialized.stderr.contains("'dense1' alone has 4,000,000,000"), "\(initialized.stderr)")
        #expect(initialized.cpuSeconds < 2 && initialized.peakMegabytes < 500, "\(initialized.cpuSeconds) s, \(initialized.peakMegabytes) MB")
        #expect(!FileManager.default.fileExists(atPath: weights.path))
        // Without weights to give, the same spec is checked and summarised as usual.
        #expect(try cnnc("check", large.path).status == 0)
    }
}

extension HardeningTests {
    /// `generate` trusted a planted `.cnnc-generated`/`.cnnc-files` and deleted or overwrote files
    /// outside the output folder through symbolic links.
    @Test func generateNeverFollowsALinkOutOfTheOutputFolder() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outside = directory.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try "keep me".write(to: outside.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)

        // A stale-file list naming a file behind a link: generation succeeds, the file stays.
        let package = directory.appendingPathComponent("package")
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        try "{}\n".write(to: package.appendingPathComponent(".cnnc-generated"), atomically: true, encoding: .utf8)
        try "link/secret.txt\n../outside/secret.txt\n".write(to: package.appendingPathComponent(".cnnc-files"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: package.appendingPathComponent("link"), withDestinationURL: outside)
        let generated = try cnnc("generate", "models/blur.yaml", "-o", package.path)
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(try String(contentsOf: outside.appendingPathComponent("secret.txt"), encoding: .utf8) == "keep me")

        // A link where the package writes: refused, and nothing is written through it.
        let trap = directory.appendingPathComponent("trap")
        try FileManager.default.createDirectory(at: trap, withIntermediateDirectories: true)
        try "{}\n".write(to: trap.appendingPathComponent(".cnnc-generated"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: trap.appendingPathComponent("Sources"), withDestinationURL: outside)
        let refused = try cnnc("generate", "models/blur.yaml", "-o", trap.path)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("a symbolic link or special file inside the package directory is in the way"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path) == ["secret.txt"])
    }
}

/// Live processes (zombies left out) whose command line mentions `text` (and `also`).
func liveProcesses(mentioning text: String, and also: String = "") -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let state = stat.split(separator: ")").last?.split(separator: " ").first, state != "Z",
              let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let line = String(decoding: command.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return line.contains(text) && line.contains(also) ? "\(pid): \(line.prefix(120))" : nil
    }
}

extension HardeningTests {
    /// SIGTERM to `cnnc build` left `swift build` and its compilers running; now it stops every compiler
    /// running at the time, the network's two compilations included.
    /// Synchronous on purpose: polling with Task.sleep let the other tests' blocking waits starve this
    /// one on the two-thread pool until the build had finished.
    @Test func aTerminatedBuildLeavesNothingRunning() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = directory.appendingPathComponent("cache-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = cnncBinary
        process.arguments = ["build", "models/blur.yaml", "-o", directory.appendingPathComponent("blur").path]
        process.currentDirectoryURL = repositoryRoot
        process.environment = ProcessInfo.processInfo.environment.merging(["CNNC_CACHE_DIR": cache]) { $1 }
        let errors = directory.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        // The network library's compiler starts right after its output file map is written.
        func compiling() -> Bool {
            let builds = cache + "/builds"
            return ((try? FileManager.default.contentsOfDirectory(atPath: builds)) ?? []).contains {
                FileManager.default.fileExists(atPath: "\(builds)/\($0)/.build/cnnc-core/output-file-map.json")
            }
        }
        var waited = 0
        while waited < 12_000, !compiling(), process.isRunning {
            usleep(10_000)
            waited += 1
        }
        try #require(compiling() && process.isRunning,
                     "cnnc build did not reach the compiler: \(String(decoding: FileManager.default.contents(atPath: errors.path) ?? Data(), as: UTF8.self))")
        usleep(300_000)
        #if arch(x86_64)
        // The default build compiles the network twice (x86-64-v3, and x86-64-v4 for AVX-512), side by side.
        for cpu in ["haswell", "skylake-avx512"] {
            #expect(!liveProcesses(mentioning: cache, and: "-target-cpu \(cpu)").isEmpty, "no compiler for \(cpu) running")
        }
        #endif
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM, "\(process.terminationReason == .exit ? "exited" : "signal") \(process.terminationStatus) after \(waited) polls")
        #expect(liveProcesses(mentioning: cache).isEmpty, "\(liveProcesses(mentioning: cache))")
    }
}

extension HardeningTests {
    /// Every writer renamed a temporary file over its target: `-o /dev/stdout` failed, a symlink was
    /// replaced by a regular file, and an output naming the command's own input destroyed it.
    @Test func outputsToStreamsLinksAndFullDevicesBehaveAsUsersExpect() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manager = FileManager.default

        // Standard output: the bytes themselves, and no "wrote …" line mixed into them.
        let exported = try cnnc("export", "models/digits.yaml", "-o", "/dev/stdout")
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stdout.utf8.count > 10_000 && exported.stdout.contains("conv1.weight") && !exported.stdout.contains("wrote"))
        let weights = try cnnc("init-weights", "models/lenet5.yaml", "-o", "-")
        #expect(weights.status == 0, "\(weights.stderr)")
        #expect(weights.stdout.utf8.count > 100_000 && weights.stdout.contains("\"c1.weight\""))
        let result = try cnnc("run", "models/digits.yaml", "--input", "models/digits-7.pgm", "--output", "/dev/stdout", "--format", "json")
        #expect(result.status == 0 && result.stdout.hasPrefix("{") && !result.stdout.contains("wrote"), "\(result.stderr)")

        // A link stays a link; its target gets the new contents.
        let target = directory.appendingPathComponent("real.safetensors")
        let link = directory.appendingPathComponent("link.safetensors")
        #expect(manager.createFile(atPath: target.path, contents: Data([1])))
        try manager.createSymbolicLink(atPath: link.path, withDestinationPath: "real.safetensors")
        #expect(try cnnc("init-weights", "models/lenet5.yaml", "-o", link.path).status == 0)
        #expect(try manager.destinationOfSymbolicLink(atPath: link.path) == "real.safetensors")
        #expect(try Data(contentsOf: target).count > 100_000)

        // A full device: a one-line error, nothing left behind.
        if manager.fileExists(atPath: "/dev/full") {
            let full = try cnnc("init-weights", "models/lenet5.yaml", "-o", "/dev/full")
            #expect(full.status == 2)
            #expect(full.stderr == "cnnc: error: /dev/full: cannot write: No space left on device\n", "\(full.stderr)")
        }

        // A directory where a file is meant, and outputs that are the command's own inputs.
        let asDirectory = try cnnc("export", "models/digits.yaml", "-o", directory.path)
        #expect(asDirectory.status == 2 && asDirectory.stderr.contains("is a directory; name a file inside it"), "\(asDirectory.stderr)")
        let spec = directory.appendingPathComponent("spec.yaml")
        try manager.copyItem(at: repositoryRoot.appendingPathComponent("models/blur.yaml"), to: spec)
        let original = try Data(contentsOf: spec)
        for command in [["init-weights", spec.path, "-o", spec.path], ["build", spec.path, "-o", spec.path],
                        ["generate", spec.path, "--weights", "random", "-o", spec.path]] {
            let refused = try cnnc(arguments: command)
            #expect(refused.status == 2, "\(command): \(refused.stderr)")
            #expect(refused.stderr.contains("is also the input") || refused.stderr.contains("exists and is not a directory"), "\(command): \(refused.stderr)")
        }
        #expect(try Data(contentsOf: spec) == original)
        #expect(try manager.contentsOfDirectory(atPath: directory.path).sorted() == ["link.safetensors", "real.safetensors", "spec.yaml"])
    }
}

extension HardeningTests {
    /// A 30 GB safetensors file aborted: the whole file was read before anything was checked. Now the
    /// header is read, then only the tensors the spec uses.
    @Test func aHugeWeightsFileCostsOnlyTheTensorsTheSpecUses() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let spec = directory.appendingPathComponent("tiny.yaml")
        try "name: tiny\ninput: {channels: 1, height: 4, width: 4}\nlayers:\n  - conv: {name: c, channels: 2, kernel: 3}\n"
            .write(to: spec, atomically: true, encoding: .utf8)
        // c.weight and c.bias first, then a 20 GiB tensor the spec never reads, left sparse.
        let huge = 20 << 30
        var header = #"{"c.weight":{"dtype":"F32","shape":[2,1,3,3],"data_offsets":[0,72]},"c.bias":{"dtype":"F32","shape":[2],"data_offsets":[72,80]},"#
            + #""optimizer.state":{"dtype":"F32","shape":[\#(huge / 4)],"data_offsets":[80,\#(80 + huge)]}}"#
        while header.utf8.count % 8 != 0 { header += " " }
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: header.utf8.count >> (8 * $0)) } + Array(header.utf8)
        for value in [Float](repeating: 0.5, count: 18) + [1, -1] {
            bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init)
        }
        let weights = directory.appendingPathComponent("big.safetensors")
        #expect(FileManager.default.createFile(atPath: weights.path, contents: Data(bytes)))
        let handle = try FileHandle(forWritingTo: weights)
        try handle.truncate(atOffset: UInt64(bytes.count + huge))
        try handle.close()
        let input = directory.appendingPathComponent("x.f32")
        try Data([Float](repeating: 1, count: 16).flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }).write(to: input)

        let result = try runMeasuringResources(cnncBinary, ["run", spec.path, "--weights", weights.path, "--input", input.path, "--format", "json"],
                                              outputIn: directory)
        #expect(result.status == 0, "\(result.stderr)")
        // Measured: 24 MB and 0.02 s (debug build); reading the whole file would need 20 GiB.
        #expect(result.peakMegabytes < 300, "\(result.peakMegabytes) MB")
        #expect(result.cpuSeconds < 2, "\(result.cpuSeconds) s")
    }
}

extension HardeningTests {
    /// The largest valid spec: 10,000 convolutions with activation sugar (20,000 layers). Its check
    /// takes about 0.33 s and 65 MB, its JSON summary (29 MB of it) 1.1 s and 220 MB (debug build);
    /// the bounds are the hardening budget's gigabyte and about ten times the time.
    @Test func theLargestValidSpecChecksAndSummarisesInBoundedTimeAndMemory() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = "name: big\ninput: {channels: 3, height: 32, width: 32}\nlayers:\n"
            + String(repeating: "  - conv: {channels: 4, kernel: 3, padding: same, activation: relu}\n", count: 10_000)
        let spec = directory.appendingPathComponent("big.yaml")
        try text.write(to: spec, atomically: true, encoding: .utf8)
        let checked = try runMeasuringResources(cnncBinary, ["check", spec.path], outputIn: directory)
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.cpuSeconds < 4, "\(checked.cpuSeconds) s")
        #expect(checked.peakMegabytes < 300, "\(checked.peakMegabytes) MB")
        let summarised = try runMeasuringResources(cnncBinary, ["summary", spec.path, "--format", "json"], outputIn: directory)
        #expect(summarised.status == 0, "\(summarised.stderr)")
        #expect(summarised.cpuSeconds < 12, "\(summarised.cpuSeconds) s")
        #expect(summarised.peakMegabytes < 1024, "\(summarised.peakMegabytes) MB")
    }
}

extension HardeningTests {
    /// Generated code grows with the network and its compile time with it (3,000 layers took 228 s):
    /// `generate` and `build` refuse more than 5,000 layers at once, before writing or compiling.
    @Test func codeIsGeneratedForAtMost5000Layers() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var text = "name: long\ninput: {channels: 1, height: 2, width: 2}\nlayers:\n"
        for _ in 0..<5_001 { text += "  - relu\n" }
        let spec = directory.appendingPathComponent("long.yaml")
        try text.write(to: spec, atomically: true, encoding: .utf8)
        #expect(try cnnc("check", spec.path).status == 0)
        for command in ["generate", "build"] {
            let result = try cnnc(command, spec.path, "-o", directory.appendingPathComponent("out").path)
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr == "cnnc: error: \(spec.path): the network has 5,001 layers; cnnc generates code for at most 5,000 (about 0.8 KB of Swift and 75 ms of compiling each); 'check', 'summary' and 'run' take any size\n", "\(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["long.yaml"])
    }
}

extension HardeningTests {
    /// Overlong paths (a 300-byte component, a 6,000-byte path) are one-line errors, never a crash or
    /// a truncated name that points elsewhere.
    @Test func overlongPathsAreOneLineErrors() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let longName = String(repeating: "a", count: 300)
        let longPath = Array(repeating: String(repeating: "b", count: 200), count: 30).joined(separator: "/")
        let commands: [[String]] = [
            ["check", longName + ".yaml"], ["check", longPath + ".yaml"], ["summary", longPath + ".yaml"],
            ["init-weights", "models/lenet5.yaml", "-o", directory.path + "/" + longName + ".safetensors"],
            ["init-weights", "models/lenet5.yaml", "-o", directory.path + "/" + longPath + ".safetensors"],
            ["export", "models/digits.yaml", "-o", directory.path + "/" + longName + ".onnx"],
            ["run", "models/digits.yaml", "--input", longName + ".pgm"],
            ["run", "models/digits.yaml", "--input", "models/digits-7.pgm", "--output", directory.path + "/" + longName + ".json"],
            ["generate", "models/digits.yaml", "-o", directory.path + "/" + longPath],
        ]
        for command in commands {
            let result = try cnnc(arguments: command)
            #expect(result.status == 2 || result.status == 1, "\(command[0]): \(result.status)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("cnnc: error: ") && lines[0].contains("name too long"), "\(command[0]): \(result.stderr.prefix(300))")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}
