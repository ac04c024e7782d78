import Foundation
import PackagePlugin

/// Embeds the sources of the support modules that every generated package carries (CNNCRuntime and
/// CNNCKernels) into CNNCCore as string constants. The modules stay the one source of truth: they are
/// compiled and tested here, and `cnnc generate` writes these very texts into each package.
@main
struct EmbedSupportSources: BuildToolPlugin {
    static let embedded = ["CNNCRuntime", "CNNCKernels"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        var arguments: [String] = []
        var inputs: [URL] = []
        for name in Self.embedded {
            guard let module = try context.package.targets(named: [name]).first as? SourceModuleTarget else {
                throw PluginError(message: "no source target named \(name)")
            }
            for file in module.sourceFiles(withSuffix: "swift") {
                arguments += [name, file.url.path]
                inputs.append(file.url)
            }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSources.swift")
        return [.buildCommand(
            displayName: "Embedding support sources into \(target.name)",
            executable: try context.tool(named: "EmbedSourcesTool").url,
            arguments: [output.path] + arguments,
            inputFiles: inputs,
            outputFiles: [output]
        )]
    }
}

struct PluginError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
