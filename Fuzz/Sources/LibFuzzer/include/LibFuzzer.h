// libFuzzer's entry point for programs with their own main (compiler-rt's FuzzerInterface.h).
// Fuzz/run.sh links libclang_rt.fuzzer_no_main, which defines it.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
