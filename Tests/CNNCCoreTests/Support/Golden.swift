import Foundation
import Testing

/// The repository root, found from this file's path so tests run from any working directory.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let fixturesDirectory = repositoryRoot.appendingPathComponent("Tests/Fixtures")

/// Set `CNNC_RECORD_GOLDENS=1` to rewrite golden files from the current output (then review the diff).
let recordingGoldens = ProcessInfo.processInfo.environment["CNNC_RECORD_GOLDENS"] == "1"

/// Compares `actual` with the golden file, or records it when recording is on.
func expectMatchesGolden(_ actual: String, _ golden: URL, sourceLocation: SourceLocation = #_sourceLocation) {
    if recordingGoldens {
        try? FileManager.default.createDirectory(at: golden.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! actual.write(to: golden, atomically: true, encoding: .utf8)
        return
    }
    guard let expected = try? String(contentsOf: golden, encoding: .utf8) else {
        Issue.record("missing golden file \(golden.path); run with CNNC_RECORD_GOLDENS=1 to create it", sourceLocation: sourceLocation)
        return
    }
    if actual != expected {
        Issue.record("output differs from \(golden.lastPathComponent):\n\(lineDiff(expected: expected, actual: actual))",
                     sourceLocation: sourceLocation)
    }
}

/// A short line-by-line difference for failure messages.
func lineDiff(expected: String, actual: String) -> String {
    let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var out: [String] = []
    for index in 0..<max(a.count, b.count) {
        let left = index < a.count ? String(a[index]) : nil
        let right = index < b.count ? String(b[index]) : nil
        if left != right {
            if let left { out.append("- \(left)") }
            if let right { out.append("+ \(right)") }
        }
        if out.count > 40 { break }
    }
    return out.joined(separator: "\n")
}

func fixtureFiles(in directory: String, withExtension ext: String) -> [URL] {
    let url = fixturesDirectory.appendingPathComponent(directory)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.filter { $0.hasSuffix("." + ext) }.sorted().map { url.appendingPathComponent($0) }
}
