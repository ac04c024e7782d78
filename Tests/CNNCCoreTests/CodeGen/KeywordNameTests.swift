@testable import CNNCCore
import Foundation
import Testing

/// Generated identifiers live in their own namespace (hardening issue, defect 7): no layer name can
/// clash with the language, the runtime or the kernels.
@Suite struct KeywordNameTests {
    /// Every Swift keyword (The Swift Programming Language, "Lexical Structure"), every name declared in
    /// the runtime and the kernels (read from their sources, so a helper is covered the day it is
    /// written) and the standard-library names generated code calls, each as a layer name; the
    /// network's steps, where names become identifiers, must type-check.
    @Test func everyKeywordAndRuntimeSymbolIsAUsableLayerName() throws {
        let keywords = """
            associatedtype borrowing class consuming deinit enum extension fileprivate func import init inout internal let
            nonisolated open operator private precedencegroup protocol public rethrows static struct subscript typealias var
            break case catch continue default defer do else fallthrough for guard if in repeat return throw switch where while
            Any as await false is nil self Self super throws true try _ #available #colorLiteral #else #elseif #endif
            #fileLiteral #if #imageLiteral #keyPath #selector #sourceLocation #unavailable associativity async convenience
            didSet dynamic final get indirect infix lazy left mutating none nonmutating optional override package postfix
            precedence prefix Protocol required right set some Type unowned weak willSet actor any each consume copy discard
            macro sending isolated then
            """.split(whereSeparator: \.isWhitespace).map(String.init)
        let standardLibrary = ["print", "min", "max", "abs", "zip", "stride", "precondition", "fatalError", "assert", "memcpy",
                               "memset", "Float", "Int", "Int32", "UInt8", "Double", "Bool", "String", "Array", "SIMD4", "SIMD8",
                               "SIMD16", "UnsafePointer", "UnsafeMutablePointer", "UnsafeRawPointer", "UnsafeMutableRawPointer",
                               "OpaquePointer", "Swift", "Glibc", "Foundation", "Darwin", "main", "arena", "weights", "output", "Steps"]
        var declared: Set<String> = []
        let introducers: Set<Substring> = ["func", "struct", "enum", "class", "protocol", "typealias", "let", "var", "case", "actor"]
        for folder in ["Sources/CNNCRuntime", "Sources/CNNCKernels"] {
            let directory = repositoryRoot.appendingPathComponent(folder)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".swift") }
            #expect(files.count >= 8, "\(folder)")
            for file in files {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                // The word after each declaration keyword (Swift's Regex is too slow here in a debug build).
                let words = text.split { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_")) }
                for (word, next) in zip(words, words.dropFirst()) where introducers.contains(word) && !next.first!.isNumber {
                    declared.insert(String(next))
                }
            }
        }
        #expect(declared.isSuperset(of: ["convolveGEMM", "maxPool", "dense", "padPlanes", "activate", "FeatureShape"]), "\(declared.count) names")
        var seen: Set<String> = ["input"]  // the one reserved name of the spec language
        let names = (keywords + standardLibrary + declared.sorted()).filter { seen.insert($0).inserted }
        #expect(names.count > 300)

        // A 1×1 conv (which has weights, so its name reaches the weight tables too) or a maxpool per
        // name; both are steps of their own, so every name becomes an identifier.
        var text = "name: keywords\ninput: {channels: 2, height: 3, width: 3}\nlayers:\n"
        for (index, name) in names.enumerated() {
            text += index % 2 == 0 ? "  - conv: {name: \"\(name)\", channels: 2, kernel: 1}\n" : "  - maxpool: {name: \"\(name)\", kernel: 1}\n"
        }
        let pipeline = SpecPipeline.run(SourceFile(path: "keywords.yaml", text: text))
        let network = try #require(pipeline.network, "\(pipeline.renderDiagnostics())")
        let weights = NetworkWeights(values: Dictionary(uniqueKeysWithValues: WeightInitializer.tensors(for: network, seed: 0).map { ($0.name, $0.values) }))
        let package = PackageGenerator.generate(network, weights: weights, options: GenerationOptions(specBytes: Array(text.utf8)))

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-keywords-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for file in package.files where file.path.hasPrefix("Core/") {
            let url = directory.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.bytes).write(to: url)
        }
        let steps = try String(contentsOf: directory.appendingPathComponent(package.core.swiftSources[0]), encoding: .utf8)
        #expect(steps.components(separatedBy: "Steps.").count > names.count, "every layer a step of its own")
        let swiftc = ProcessInfo.processInfo.environment["CNNC_SWIFTC"] ?? "swiftc"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [swiftc, "-typecheck", "-parse-as-library", "-module-name", package.core.swiftModule,
                             "-package-name", package.core.swiftModule,
                             "-I", directory.appendingPathComponent(package.core.weightsIncludes).path]
            + package.core.swiftSources.map { directory.appendingPathComponent($0).path }
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output.prefix(4000))")
    }
}
