/// The one error type of the runtime. Its message is a single line that names the file (or the flag)
/// and the problem, e.g. `digit.npy: expected 1×28×28 float input, found shape [3, 28, 28]`.
public struct RuntimeError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String

    public init(_ message: String) {
        // A path may contain a newline; keep the promise of one line per error.
        self.message = message.contains(where: \.isNewline) ? RuntimeError.oneLine(message) : message
    }

    /// `path: problem`, the shape of every error about a file.
    public init(path: String, _ problem: String) {
        self.init("\(path): \(problem)")
    }

    public var description: String { message }

    private static func oneLine(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\r\n": result += "\\r\\n"
            default: result.append(character.isNewline ? " " : character)
            }
        }
        return result
    }
}
