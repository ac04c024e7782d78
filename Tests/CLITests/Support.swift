import Foundation
import Testing

let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `cnnc` built beside this test binary (or `CNNC_BINARY`).
let cnncBinary: URL = {
    if let override = ProcessInfo.processInfo.environment["CNNC_BINARY"] { return URL(fileURLWithPath: override) }
    let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = testBinary.deletingLastPathComponent()
    // On Linux the tests run from `<build>/debug/cnncPackageTests.xctest`; on macOS from inside a bundle.
    while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("cnnc").path), directory.path != "/" {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent("cnnc")
}()

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a program to completion. Output goes to temporary files, so a chatty child never blocks on a
/// full pipe.
func run(_ executable: URL, _ arguments: [String], in directory: URL = repositoryRoot, environment: [String: String] = [:]) throws -> RunResult {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outURL = scratch.appendingPathComponent("stdout")
    let errURL = scratch.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    for (key, value) in environment { env[key] = value }
    process.environment = env
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    return RunResult(status: process.terminationStatus,
                     stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                     stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

func cnnc(_ arguments: String..., in directory: URL = repositoryRoot) throws -> RunResult {
    try run(cnncBinary, arguments, in: directory)
}

func cnnc(arguments: [String], in directory: URL = repositoryRoot) throws -> RunResult {
    try run(cnncBinary, arguments, in: directory)
}

/// A fresh temporary directory, removed by the caller with `removeTemporaryDirectory`.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
