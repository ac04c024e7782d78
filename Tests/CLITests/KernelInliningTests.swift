import Foundation
import Testing

#if arch(x86_64)
/// Each step of a generated network runs its kernels inlined, with the layer's geometry as constants
/// that fold its loops and register blocks. Swift does not promise that for `@inline(__always)`: past
/// 64 blocks in the caller, large callees go to its cost model (docs/codegen.md, "What Swift
/// inlines"). A padding copy a few blocks larger once left resnet_cifar's direct convolutions as
/// calls of the generic kernel, 3.9× slower with the same outputs, which only a timing would have
/// shown; this test reads the compiled library instead.
@Suite struct KernelInliningTests {
    /// A kernel's entry point in the network's module (`$s15ResnetCifarCore14convolveDirect_…`), or the
    /// dense kernel's pass (`…Core5dense_…4pass…`): a call to it from a step means the kernel was not
    /// inlined there. The register blocks of the GEMM and of the channel-lane kernel and the Winograd
    /// transforms are calls by design, and do not match.
    static let kernelEntryPoint = #"Core[0-9]+(convolve[A-Za-z]+|padPlanes|dense)_"#

    @Test(arguments: GeneratedInferencerTests.specs)
    func everyStepInlinesItsKernels(_ spec: String) async throws {
        let built = try await SharedBuilds.shared.binary(for: spec, inlineWeights: GeneratedInferencerTests.inlineModels.contains(spec))
        let info = try run(built.binary, ["--info"])
        let command = try #require(info.stdout.split(separator: "\n").first { $0.hasPrefix("network: ") }?.dropFirst("network: ".count),
                                   "\(spec): no network name in --info")
        let kernelEntryPoint = try Regex(Self.kernelEntryPoint)
        let libraries = try SharedBuilds.networkLibraries(of: String(command))
        try #require(!libraries.isEmpty, "\(spec): no library of \(command) in \(SharedBuilds.cacheDirectory)")
        for library in libraries {
            let disassembly = try run(try GeneratedLibraryTests.objdump(), ["-dr", "--no-show-raw-insn", library.path])
            try #require(disassembly.status == 0, "\(disassembly.stderr)")
            var step: Substring?
            var steps = 0
            var calls: [String] = []
            for line in disassembly.stdout.split(separator: "\n") {
                if line.hasSuffix(">:"), let open = line.firstIndex(of: "<") {
                    let name = line[line.index(after: open)..<line.index(line.endIndex, offsetBy: -2)]
                    step = name.contains("5Steps") ? name : nil
                    if step != nil { steps += 1 }
                } else if let step, line.contains("R_X86_64_PLT32") || line.contains("R_X86_64_PC32"), line.contains(kernelEntryPoint) {
                    calls.append("\(step) → \(line.split(whereSeparator: \.isWhitespace).last ?? "")")
                }
            }
            #expect(steps > 0, "\(spec): no step functions found in \(library.path)")
            #expect(calls.isEmpty, "\(spec): \(calls.count) kernels left as calls, e.g. \(calls.prefix(2))")
        }
    }
}
#endif
