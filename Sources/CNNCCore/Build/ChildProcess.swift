import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command, collecting stdout and stderr together (through a file, so it cannot block).
///
/// Foundation starts the command in a process group of its own (its pid is the group's id), which a
/// terminal's Ctrl-C does not reach; so while it runs, SIGINT, SIGTERM and SIGHUP sent to cnnc are
/// passed on to that group — `swift build` cancels the compilers it started — and cnnc waits for it
/// before stopping itself: an interrupted build leaves nothing running.
func runCollectingOutput(_ arguments: [String], in directory: String, log logPath: String,
                         environment: [String: String]? = nil) -> (status: Int32, output: String) {
    _ = FileManager.default.createFile(atPath: logPath, contents: nil)
    guard let log = FileHandle(forWritingAtPath: logPath) else { return (127, "cannot write \(logPath)") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0].contains("/") ? arguments[0] : "/usr/bin/env")
    process.arguments = arguments[0].contains("/") ? Array(arguments.dropFirst()) : arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.standardOutput = log
    process.standardError = log
    process.standardInput = FileHandle.nullDevice
    if let environment { process.environment = environment }
    ChildProcessGroup.installSignalForwarding()
    do {
        try process.run()
    } catch {
        return (127, "cannot run \(arguments[0]): \(error.localizedDescription)")
    }
    ChildProcessGroup.current = process.processIdentifier
    process.waitUntilExit()
    ChildProcessGroup.current = 0
    try? log.close()
    let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    return (process.terminationStatus, output)
}

/// The process group of the command cnnc is waiting for, and the signal handlers that stop it too.
enum ChildProcessGroup {
    // Read by a signal handler, written only by the one thread that runs commands.
    nonisolated(unsafe) static var current: pid_t = 0
    nonisolated(unsafe) private static var installed = false

    static func installSignalForwarding() {
        #if canImport(Glibc)
        guard !installed else { return }
        installed = true
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                // Only async-signal-safe calls: kill, nanosleep, signal, raise. The command
                // gets up to ten seconds to stop its own children (swift build cancels its jobs).
                let group = ChildProcessGroup.current
                if group > 0 {
                    kill(-group, signal)
                    var pause = timespec(tv_sec: 0, tv_nsec: 100_000_000)
                    for _ in 0..<100 where kill(group, 0) == 0 { nanosleep(&pause, nil) }
                }
                Glibc.signal(signal, SIG_DFL)
                raise(signal)
            }
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
        // A parent may have started cnnc with these signals blocked (the mask is inherited); they
        // must reach this thread.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        #endif
    }
}
