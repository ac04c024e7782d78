@testable import CNNCCore
import Foundation
import Testing

/// The helpers every generated name and line goes through.
@Suite struct SwiftNamesTests {
    @Test func typeNamesAreUpperCamelCaseASCII() {
        #expect(SwiftNames.typeName("lenet5") == "Lenet5")
        #expect(SwiftNames.typeName("mobile_block-v2") == "MobileBlockV2")
        #expect(SwiftNames.typeName("3 layers") == "N3Layers")
        #expect(SwiftNames.typeName("Ünïcödé ✓") == "NCD")  // non-ASCII letters are word breaks
        #expect(SwiftNames.typeName("✓✓") == "NetworkModel")  // the fallback, then the reserved-name suffix
        #expect(SwiftNames.typeName("✓✓", fallback: "Layer") == "Layer")
        #expect(SwiftNames.typeName("class") == "Class")
        #expect(SwiftNames.typeName("float") == "FloatModel")  // would hide Swift.Float
        #expect(SwiftNames.typeName(String(repeating: "a", count: 200)).count == 64)
    }

    @Test func valueNamesAreLowerCamelCaseAndNeverKeywords() {
        #expect(SwiftNames.valueName("Conv 1") == "conv1")
        #expect(SwiftNames.valueName("class") == "_class")
        #expect(SwiftNames.valueName("self") == "selfModel")  // via the type name `Self`, reserved
        #expect(SwiftNames.valueName("3rd") == "n3rd")
        #expect(SwiftNames.valueName("✓") == "layer")
        for keyword in ["func", "let", "var", "return", "true", "nil", "in", "is", "as", "try", "await", "some"] {
            #expect(SwiftNames.valueName(keyword) == "_" + keyword, "\(keyword)")
        }
        #expect(SwiftNames.valueName("any") == "anyModel")  // `Any` is a reserved type name
    }

    @Test func commandNamesAreLowercaseWithDashes() {
        #expect(SwiftNames.commandName("1 \"Bad\" */ name\\ class") == "1-bad-name-class")
        #expect(SwiftNames.commandName("MobileBlock") == "mobileblock")
        #expect(SwiftNames.commandName("--") == "network")
    }

    @Test func uniqueNamesCountUpAndAvoidTakenOnes() {
        #expect(SwiftNames.unique(["conv", "conv", "relu", "conv"]) == ["conv", "conv2", "relu", "conv3"])
        #expect(SwiftNames.unique(["conv", "conv2", "conv"]) == ["conv", "conv2", "conv3"])
        #expect(SwiftNames.unique(["steps"], avoiding: ["steps"]) == ["steps2"])
    }
}

@Suite struct CodePrinterTests {
    @Test func linesAreIndentedAndBlocksNest() {
        var printer = CodePrinter()
        printer.print("// header")
        printer.print()
        printer.block("enum A") { inner in
            inner.block("static func f()") { body in
                body.print("let x = 1\nreturn")
            }
        }
        printer.outdent()  // never below zero
        printer.print("end")
        #expect(printer.text == """
            // header

            enum A {
                static func f() {
                    let x = 1
                    return
                }
            }
            end

            """)
    }

    @Test func commentsCannotBeEndedByUserText() {
        #expect(commentSafe("a\nb\r\u{2028}\u{85}\u{1B}[31m") == "a\\nb\\r\\u{2028}\\u{85}\\u{1b}[31m")
        #expect(commentSafe("Ünïcödé */ ok") == "Ünïcödé */ ok")
    }

    @Test func floatLiteralsReadBackExactly() {
        for value: Float in [0, 1, -2, 0.1, 1e-7, 3.4028235e38, .leastNonzeroMagnitude, 1 / 3] {
            let literal = swiftFloatLiteral(value)
            #expect(literal.contains(".") || literal.contains("e"), "\(literal)")
            #expect(Float(literal) == value, "\(literal)")
        }
    }
}

@Suite struct PackageWriterTests {
    func package(_ files: [(String, String)]) -> GeneratedPackage {
        let core = GeneratedPackage.CoreLibrary(swiftModule: "TinyCore", swiftSources: [], weightsSource: "", weightsIncludes: "",
                                                library: "", entryPoints: [], dispatch: nil, cpu: .standard)
        return GeneratedPackage(files: [(GeneratedPackage.markerFile, [UInt8]("cnnc\n".utf8))] + files.map { ($0.0, [UInt8]($0.1.utf8)) },
                                command: "tiny", module: "Tiny", core: core)
    }

    func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cnnc-writer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func writesOnlyWhatChangedAndRemovesOnlyItsOwnStaleFiles() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try PackageWriter.write(package([("Package.swift", "a"), ("Sources/Old.swift", "old")]), to: directory, force: false)
        #expect(first.written.sorted() == [GeneratedPackage.markerFile, "Package.swift", "Sources/Old.swift"].sorted())
        try "mine".write(toFile: directory + "/Sources/Mine.swift", atomically: true, encoding: .utf8)
        let second = try PackageWriter.write(package([("Package.swift", "a"), ("Sources/New.swift", "new")]), to: directory, force: false)
        #expect(second.written == ["Sources/New.swift"])
        #expect(second.unchanged == 2)
        #expect(second.removed == ["Sources/Old.swift"])
        #expect(try String(contentsOfFile: directory + "/Sources/Mine.swift", encoding: .utf8) == "mine")
    }

    @Test func refusesAForeignNonEmptyDirectoryUnlessForced() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "keep".write(toFile: directory + "/notes.txt", atomically: true, encoding: .utf8)
        #expect(throws: FileError.self) { try PackageWriter.write(package([("Package.swift", "a")]), to: directory, force: false) }
        #expect(!FileManager.default.fileExists(atPath: directory + "/Package.swift"))
        _ = try PackageWriter.write(package([("Package.swift", "a")]), to: directory, force: true)
        #expect(try String(contentsOfFile: directory + "/notes.txt", encoding: .utf8) == "keep")
    }

    @Test func refusesEmptyPathsFilesAndLinksInTheWay() throws {
        let directory = try scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: FileError.self) { try PackageWriter.write(package([]), to: " ", force: false) }
        try "x".write(toFile: directory + "/file", atomically: true, encoding: .utf8)
        #expect(throws: FileError.self) { try PackageWriter.write(package([]), to: directory + "/file", force: false) }
        let output = directory + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: output + "/Sources", withDestinationPath: directory)
        try "cnnc\n".write(toFile: output + "/" + GeneratedPackage.markerFile, atomically: true, encoding: .utf8)
        #expect(throws: FileError.self) { try PackageWriter.write(package([("Sources/A.swift", "a")]), to: output, force: false) }
        #expect(!FileManager.default.fileExists(atPath: directory + "/A.swift"))
    }
}
