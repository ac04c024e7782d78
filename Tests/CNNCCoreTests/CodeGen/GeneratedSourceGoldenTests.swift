@testable import CNNCCore
import Foundation
import Testing

/// The generated sources of small specs against Tests/Fixtures/generated (re-record with
/// CNNC_RECORD_GOLDENS=1). The kernels and runtime copied into each package are the repository's
/// own files, compared byte for byte instead.
@Suite struct GeneratedSourceGoldenTests {
    static let specs = ["models/seed.yaml", "models/blur.yaml", "Tests/Fixtures/codegen/hostile.yaml"]

    func generate(_ path: String) throws -> GeneratedPackage {
        let bytes = try [UInt8](Data(contentsOf: repositoryRoot.appendingPathComponent(path)))
        let pipeline = SpecPipeline.run(SourceFile(path: path, bytes: bytes))
        let network = try #require(pipeline.network, "\(pipeline.renderDiagnostics())")
        // These specs give either every weight inline or none.
        let weights = WeightBinder.bind(network, file: nil).weights
            ?? NetworkWeights(values: Dictionary(uniqueKeysWithValues: WeightInitializer.tensors(for: network, seed: 0).map { ($0.name, $0.values) }))
        return PackageGenerator.generate(network, weights: weights, options: GenerationOptions(specBytes: bytes))
    }

    @Test(arguments: specs)
    func generatedSourcesMatchGolden(_ path: String) throws {
        let package = try generate(path)
        let name = (path as NSString).lastPathComponent.replacingOccurrences(of: ".yaml", with: "")
        let generated = package.files.filter { file in
            !file.path.hasPrefix("Core/Kernels/") && !file.path.hasPrefix("Sources/\(package.module)Runtime/") && !file.path.hasSuffix(".bin")
        }
        #expect(generated.count == 15)  // Core/Dispatch.c among them: the default build has the AVX-512 variant
        for file in generated {
            expectMatchesGolden(String(decoding: file.bytes, as: UTF8.self),
                                fixturesDirectory.appendingPathComponent("generated/\(name)/\(file.path)"))
        }
    }

    @Test func supportSourcesAreTheRepositorysOwnFiles() throws {
        let package = try generate("models/seed.yaml")
        var checked = 0
        for file in package.files {
            let original: String
            if file.path.hasPrefix("Sources/\(package.module)Runtime/") {
                original = "Sources/CNNCRuntime/" + (file.path as NSString).lastPathComponent
            } else if file.path.hasPrefix("Core/Kernels/") {
                original = "Sources/CNNCKernels/" + (file.path as NSString).lastPathComponent
            } else {
                continue
            }
            #expect(file.bytes == [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent(original))), "\(file.path)")
            checked += 1
        }
        let runtime = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Sources/CNNCRuntime").path)
        let kernels = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Sources/CNNCKernels").path)
        #expect(checked == runtime.count + kernels.count)
    }

    @Test func weightsAreEmbeddedBitExactly() throws {
        let package = try generate("models/blur.yaml")
        let blob = try #require(package.files.first { $0.path.hasSuffix("weights.bin") }?.bytes)
        // The 3×3 mean filter, normalised: nine times 1/9 as little-endian float32.
        let ninth = (Float(1) / 9).bitPattern
        let expected = (0..<9).flatMap { _ in (0..<4).map { UInt8(truncatingIfNeeded: ninth >> (8 * UInt32($0))) } }
        #expect(Array(blob.prefix(36)) == expected)
    }

    @Test func hostileNamesNeverReachTheSourceUnescaped() throws {
        let package = try generate("Tests/Fixtures/codegen/hostile.yaml")
        let sources = package.files.filter { $0.path.hasSuffix("/N1BadNameClassCore.swift") || $0.path.hasSuffix("/N1BadNameClass.swift") }
        #expect(sources.count == 2, "\(package.files.map(\.path))")
        // Outside string literals, `*/` and `/*` appear only in // comments: a name can never open or
        // close a block comment.
        let stringLiteral = try Regex(#""(\\.|[^"\\])*""#)
        for source in sources {
            for line in String(decoding: source.bytes, as: UTF8.self).split(separator: "\n") {
                let code = String(line).replacing(stringLiteral, with: "\"\"")
                guard code.contains("*/") || code.contains("/*") else { continue }
                #expect(code.trimmingCharacters(in: .whitespaces).hasPrefix("//"), "\(line)")
            }
        }
        #expect(package.module == "N1BadNameClass")
        #expect(package.command == "1-bad-name-class")
    }

    /// SwiftPM copies a binary target's archive to a fixed path and relinks only when an object
    /// changes: new weights (or kernels, or steps) must change the library's Swift, or an app that
    /// uses the library, and the inferencer, would keep linking the old network.
    @Test func newWeightsChangeTheLibrarysSwiftAndTheArchivesFolder() throws {
        let text = "name: tiny\ninput: {channels: 1, height: 4, width: 4}\nlayers:\n  - conv: {channels: 2, kernel: 3}\n"
        let network = try #require(SpecPipeline.run(SourceFile(path: "tiny.yaml", text: text)).network)
        func generated(seed: UInt64) throws -> (library: String, archive: String) {
            let weights = NetworkWeights(values: Dictionary(uniqueKeysWithValues: WeightInitializer.tensors(for: network, seed: seed).map { ($0.name, $0.values) }))
            let package = PackageGenerator.generate(network, weights: weights, options: GenerationOptions(specBytes: Array(text.utf8)))
            let library = String(decoding: try #require(package.files.first { $0.path == "Sources/Tiny/Tiny.swift" }).bytes, as: UTF8.self)
            return (library, package.core.library)
        }
        let (first, again, other) = (try generated(seed: 1), try generated(seed: 1), try generated(seed: 2))
        #expect(first.library == again.library && first.archive == again.archive)
        #expect(first.library != other.library)
        #expect(first.archive != other.archive)
        // The constant is the archive's folder: `TinyKernels.artifactbundle/lib/<hash>/libTinyKernels.a`.
        let folder = (first.archive as NSString).deletingLastPathComponent.split(separator: "/").last.map(String.init) ?? ""
        #expect(folder.count == 16 && first.library.contains("public static let compiledNetworkHash = \"\(folder)\""), "\(first.archive)")
    }

    /// 20,000 labels as an array literal kept the type checker busy for more than ten minutes; they
    /// are one string literal split at start-up.
    @Test func manyLabelsAreOneStringLiteral() throws {
        let labels = (0..<20_000).map { "class \($0)" }
        let text = "name: many\ninput: {channels: 1, height: 1, width: 1}\nlayers:\n  - flatten: {}\n  - dense: {units: 20000}\nlabels: [" + labels.joined(separator: ", ") + "]\n"
        let pipeline = SpecPipeline.run(SourceFile(path: "many.yaml", text: text))
        let network = try #require(pipeline.network, "\(pipeline.renderDiagnostics())")
        let weights = NetworkWeights(values: Dictionary(uniqueKeysWithValues: WeightInitializer.tensors(for: network, seed: 0).map { ($0.name, $0.values) }))
        let package = PackageGenerator.generate(network, weights: weights, options: GenerationOptions(specBytes: Array(text.utf8)))
        for path in ["Sources/Many/Many.swift", "Sources/ManyInferencer/main.swift"] {
            let source = String(decoding: try #require(package.files.first { $0.path == path }).bytes, as: UTF8.self)
            #expect(source.contains("\"class 0\\nclass 1\\nclass 2"), "\(path)")
            #expect(!source.contains("\"class 0\", \"class 1\""), "\(path)")
        }
    }
}

