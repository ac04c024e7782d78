#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Unbuffered writes to stdout and stderr, safe from any thread.
public enum Console {
    public static func out(_ text: String) { write(1, text) }
    public static func error(_ text: String) { write(2, text) }

    /// `cnnc: error: <message>` on one line, the message made `displaySafe`.
    public static func errorLine(_ message: String) {
        if let observer = errorLineObserver.withLock({ $0 }) {
            observer(message)
        } else {
            write(2, "cnnc: error: " + displaySafe(message) + "\n")
        }
    }

    /// Hands every `errorLine` message to `observer` instead of printing it (machine-readable
    /// diagnostics carry them).
    public static func observeErrorLines(_ observer: @escaping @Sendable (String) -> Void) {
        errorLineObserver.withLock { $0 = observer }
    }

    private static let errorLineObserver = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Whether diagnostics to stderr should be coloured: a terminal, and NO_COLOR unset.
    public static var stderrWantsColor: Bool {
        isatty(2) == 1 && getenv("NO_COLOR") == nil && getenv("TERM").map { String(cString: $0) } != "dumb"
    }

    public static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// The terminal's width when standard output is one (its size, else `COLUMNS`), else nil.
    public static var stdoutColumns: Int? {
        guard isatty(1) == 1 else { return nil }
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return getenv("COLUMNS").flatMap { Int(String(cString: $0)) }
    }

    private static func write(_ descriptor: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
