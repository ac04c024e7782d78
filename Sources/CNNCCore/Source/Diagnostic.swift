/// One problem found in user input, shaped like a clang/swiftc diagnostic so editors can jump to it.
public struct Diagnostic: Hashable, Sendable {
    public enum Severity: String, Hashable, Sendable, Comparable {
        case error, warning, note

        private var rank: Int {
            switch self {
            case .error: 0
            case .warning: 1
            case .note: 2
            }
        }

        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// A related place, printed after the diagnostic it belongs to.
    public struct Note: Hashable, Sendable {
        public var message: String
        public var location: SourceLocation?

        public init(_ message: String, at location: SourceLocation?) {
            self.message = message
            self.location = location
        }
    }

    /// An edit that resolves the diagnostic: replace the text of `location` (empty for an insertion)
    /// with `replacement`. Editors and CI annotators apply it; the text form prints it as clang's
    /// parseable `fix-it:` line.
    public struct FixIt: Hashable, Sendable {
        public var location: SourceLocation
        public var replacement: String

        public init(replacing location: SourceLocation, with replacement: String) {
            self.location = location
            self.replacement = replacement
        }
    }

    public var severity: Severity
    public var message: String
    public var location: SourceLocation?
    public var notes: [Note]
    public var fixIts: [FixIt]

    public init(_ severity: Severity, _ message: String, at location: SourceLocation?, notes: [Note] = [], fixIts: [FixIt] = []) {
        self.severity = severity
        self.message = message
        self.location = location
        self.notes = notes
        self.fixIts = fixIts
    }

    public static func error(_ message: String, at location: SourceLocation?, notes: [Note] = [], fixIts: [FixIt] = []) -> Diagnostic {
        Diagnostic(.error, message, at: location, notes: notes, fixIts: fixIts)
    }

    public static func warning(_ message: String, at location: SourceLocation?, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.warning, message, at: location, notes: notes)
    }
}

/// The diagnostics of one phase. Phases report every problem they find, then the driver decides
/// whether the next phase may run.
public struct Diagnostics: Sendable {
    public private(set) var all: [Diagnostic] = []

    public init() {}

    public var hasErrors: Bool { all.contains { $0.severity == .error } }
    public var errorCount: Int { all.count { $0.severity == .error } }
    public var warningCount: Int { all.count { $0.severity == .warning } }

    public mutating func append(_ diagnostic: Diagnostic) { all.append(diagnostic) }
    public mutating func append(contentsOf other: Diagnostics) { all.append(contentsOf: other.all) }

    public mutating func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = [], fixIts: [Diagnostic.FixIt] = []) {
        all.append(.error(message, at: location, notes: notes, fixIts: fixIts))
    }

    public mutating func warning(_ message: String, at location: SourceLocation?, notes: [Diagnostic.Note] = []) {
        all.append(.warning(message, at: location, notes: notes))
    }

    /// Sorted by file and position, unlocated ones first; the order among equal places is kept.
    public var sorted: [Diagnostic] {
        all.enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?):
                if x < y { return true }
                if y < x { return false }
                return a.offset < b.offset
            }
        }.map(\.element)
    }
}
