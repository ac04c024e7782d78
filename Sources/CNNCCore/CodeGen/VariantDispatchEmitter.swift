/// The C file that picks, once per process, which of a default build's two compilations of the network
/// runs: the x86-64-v4 one (`CNNC_AVX512`: 512-bit register blocks) where the processor has AVX-512 and
/// the operating system saves its registers, else the x86-64-v3 one. `CoreLibraryBuilder` renames each
/// compilation's entry points with its suffix; this file defines the names the header declares, so an
/// app or the inferencer calls them as in any other build. `CNNC_KERNELS=x86-64-v3` in the environment
/// keeps the narrower one on any processor (for comparing the two, as the tests do).
///
/// The choice is made before the first call's work and never changes, so the two compilations never
/// share the prepared-weights memory within one process.
struct VariantDispatchEmitter {
    let names: GeneratedNames
    let base: CPUTarget
    let header: String

    /// The suffixes `CoreLibraryBuilder` gives the base compilation's and the variant's entry points.
    static func suffix(_ cpu: CPUTarget) -> String { "_" + cpu.name.replacingOccurrences(of: "-", with: "_") }

    func emit() -> String {
        let narrow = Self.suffix(base), wide = Self.suffix(.avx512Variant)
        /// One forwarding definition per entry point: its prototype, and its parameters as passed on.
        let entryPoints: [(result: String, name: String, parameters: String, arguments: String)] = [
            ("void", names.entryPoint, "const float *input, float *output, void *arena", "input, output, arena"),
            ("void", names.partEntryPoint,
             "const float *input, float *output, void *arena, void *part_scratch, int part, int parts, void (*barrier)(void *context), void *context",
             "input, output, arena, part_scratch, part, parts, barrier, context"),
            ("void", names.stepFunction,
             "int index, const float *input, float *output, void *arena, void *part_scratch, int part, int parts, void (*barrier)(void *context), void *context",
             "index, input, output, arena, part_scratch, part, parts, barrier, context"),
            ("float", names.peakProbeFunction, "int iterations", "iterations"),
            ("const char *", names.stepStrategyFunction, "int index", "index"),
        ]
        var text = """
            \(header)
            // Which compilation of the network runs: \(CPUTarget.avx512Variant.name) where the processor has AVX-512, else \(base.name).
            #include "\(names.kernelsModule).h"
            #include <cpuid.h>
            #include <stdatomic.h>
            #include <stdlib.h>
            #include <string.h>


            """
        /// `float name` but `const char *name`.
        func declarator(_ result: String, _ name: String) -> String { result + (result.hasSuffix("*") ? "" : " ") + name }
        for entry in entryPoints {
            text += "\(declarator(entry.result, entry.name + narrow))(\(entry.parameters));\n"
            text += "\(declarator(entry.result, entry.name + wide))(\(entry.parameters));\n"
        }
        text += """

            /// Every instruction set x86-64-v4 adds to x86-64-v3 that the compiled network may use, and the
            /// operating system's saving of the opmask and 512-bit registers (XCR0 bits 1, 2 and 5–7).
            static int has_avx512(void) {
                unsigned a, b, c, d;
                if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_FMA)) return 0;
                unsigned low, high;
                __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
                if ((low & 0xE6) != 0xE6) return 0;
                if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
                const unsigned needed = bit_AVX2 | bit_BMI | bit_BMI2 | bit_AVX512F | bit_AVX512DQ | bit_AVX512CD | bit_AVX512BW | bit_AVX512VL;
                return (b & needed) == needed;
            }

            /// 0 until the first call, then 1 (\(base.name)) or 2 (\(CPUTarget.avx512Variant.name)). Every thread computes the same answer.
            static atomic_int chosen;

            static int wide(void) {
                int choice = atomic_load_explicit(&chosen, memory_order_relaxed);
                if (choice == 0) {
                    const char *forced = getenv("CNNC_KERNELS");
                    choice = (forced != NULL && strcmp(forced, "\(base.name)") == 0) || !has_avx512() ? 1 : 2;
                    atomic_store_explicit(&chosen, choice, memory_order_relaxed);
                }
                return choice == 2;
            }

            const char *\(names.kernelVariantFunction)(void) {
                return wide() ? "\(CPUTarget.avx512Variant.name)" : "\(base.name)";
            }

            """
        for entry in entryPoints {
            let call = entry.result == "void" ? "" : "return "
            text += """

                \(declarator(entry.result, entry.name))(\(entry.parameters)) {
                    if (wide()) { \(call)\(entry.name)\(wide)(\(entry.arguments)); } else { \(call)\(entry.name)\(narrow)(\(entry.arguments)); }
                }

                """
        }
        return text
    }
}
