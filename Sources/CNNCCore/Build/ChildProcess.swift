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
    runSideBySide([ChildCommand(arguments: arguments, directory: directory, log: logPath, environment: environment)])[0]
}

/// A command for `runSideBySide`: its arguments (the first a path, or a name looked up on PATH), the
/// directory it runs in and the file that collects its output.
struct ChildCommand {
    var arguments: [String]
    var directory: String
    var log: String
    var environment: [String: String]? = nil
}

/// Runs the commands at the same time, each as `runCollectingOutput` runs one, and returns their
/// statuses and outputs in order once all have finished (a signal stops them all). For compilers that
/// spend most of their time on one core, as `swiftc`'s optimizer does.
func runSideBySide(_ commands: [ChildCommand]) -> [(status: Int32, output: String)] {
    precondition(commands.count <= ChildProcessGroup.capacity)
    ChildProcessGroup.installSignalForwarding()
    var results: [(status: Int32, output: String)?] = Array(repeating: nil, count: commands.count)
    var running: [(index: Int, process: Process, log: FileHandle)] = []
    for (index, command) in commands.enumerated() {
        _ = FileManager.default.createFile(atPath: command.log, contents: nil)
        guard let log = FileHandle(forWritingAtPath: command.log) else {
            results[index] = (127, "cannot write \(command.log)")
            continue
        }
        let process = Process()
        let named = !command.arguments[0].contains("/")
        process.executableURL = URL(fileURLWithPath: named ? "/usr/bin/env" : command.arguments[0])
        process.arguments = named ? command.arguments : Array(command.arguments.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: command.directory)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        if let environment = command.environment { process.environment = environment }
        do {
            try process.run()
        } catch {
            try? log.close()
            results[index] = (127, "cannot run \(command.arguments[0]): \(error.localizedDescription)")
            continue
        }
        ChildProcessGroup.current[running.count] = process.processIdentifier
        running.append((index, process, log))
    }
    for (slot, child) in running.enumerated() {
        child.process.waitUntilExit()
        ChildProcessGroup.current[slot] = 0
        try? child.log.close()
        let output = (try? String(contentsOfFile: commands[child.index].log, encoding: .utf8)) ?? ""
        results[child.index] = (child.process.terminationStatus, output)
    }
    return results.map { $0! }
}

/// The process groups of the commands cnnc is waiting for, and the signal handlers that stop them too.
enum ChildProcessGroup {
    static let capacity = 4
    // Read by a signal handler, written only by the one thread that runs commands; 0 marks a free slot.
    nonisolated(unsafe) static let current: UnsafeMutablePointer<pid_t> = {
        let slots = UnsafeMutablePointer<pid_t>.allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
        return slots
    }()
    nonisolated(unsafe) private static var installed = false

    static func installSignalForwarding() {
        #if canImport(Glibc)
        guard !installed else { return }
        installed = true
        _ = (current, capacity)  // initialised here, not in a handler
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                // Only async-signal-safe calls: kill, nanosleep, signal, raise. The commands
                // get up to ten seconds to stop their own children (swift build cancels its jobs).
                // No allocation either, so the slots are read in place.
                let groups = ChildProcessGroup.current, slots = ChildProcessGroup.capacity
                for slot in 0..<slots where groups[slot] > 0 { kill(-groups[slot], signal) }
                var pause = timespec(tv_sec: 0, tv_nsec: 100_000_000)
                for _ in 0..<100 {
                    var running = false
                    for slot in 0..<slots where groups[slot] > 0 && kill(groups[slot], 0) == 0 { running = true }
                    guard running else { break }
                    nanosleep(&pause, nil)
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
