// What the test firmwares of `cnnc build --target armv7em|riscv32` share: output through the
// target's semihosting call (each startup.c defines semihost()), and the memory functions the
// library may call, which a real firmware takes from its C library.

#include <stddef.h>
#include <stdint.h>

int semihost(int operation, const void *argument);

void put_string(const char *text) { semihost(0x04, text); }  // SYS_WRITE0

_Noreturn void exit_with(int status) {
    // SYS_EXIT with ADP_Stopped_ApplicationExit (QEMU exits 0) or ADP_Stopped_RunTimeErrorUnknown (1).
    semihost(0x18, (const void *)(uintptr_t)(status == 0 ? 0x20026 : 0x20023));
    for (;;) {}
}

/// Prints a float's bits as eight hex digits and a space, so the host reads them back exactly.
void put_float_bits(float value) {
    union { float f; uint32_t u; } bits = { .f = value };
    char text[10];
    for (int i = 0; i < 8; i++) text[i] = "0123456789abcdef"[(bits.u >> (28 - 4 * i)) & 0xF];
    text[8] = ' ';
    text[9] = 0;
    put_string(text);
}

// The library's only C library needs. LLVM does not turn a loop inside a function named memset or
// memcpy into a call to itself.
void *memset(void *destination, int value, size_t count) {
    unsigned char *to = destination;
    while (count--) *to++ = (unsigned char)value;
    return destination;
}

void *memcpy(void *restrict destination, const void *restrict source, size_t count) {
    unsigned char *to = destination;
    const unsigned char *from = source;
    while (count--) *to++ = *from++;
    return destination;
}

void *memmove(void *destination, const void *source, size_t count) {
    unsigned char *to = destination;
    const unsigned char *from = source;
    if (to < from) {
        while (count--) *to++ = *from++;
    } else {
        while (count--) to[count] = from[count];
    }
    return destination;
}
