// A minimal Cortex-M4F firmware runtime for the tests of `cnnc build --target armv7em`: the vector
// table, a reset handler that enables the FPU before any float instruction runs, copies .data and
// zero-fills .bss, then calls main(); output and exit through ARM semihosting (QEMU's
// -semihosting); and the memory functions the library may call, which a real firmware takes from
// its C library.

#include <stddef.h>
#include <stdint.h>

int main(void);

extern uint32_t data_start[], data_end[], data_load[], bss_start[], bss_end[], stack_top[];

static int semihost(int operation, const void *argument) {
    register int r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

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

void start(void) {
    for (uint32_t *from = data_load, *to = data_start; to < data_end;) *to++ = *from++;
    for (uint32_t *to = bss_start; to < bss_end;) *to++ = 0;
    exit_with(main());
}

// No float instruction may run before CPACR grants CP10 and CP11, so this part is assembly.
__attribute__((naked)) void reset_handler(void) {
    __asm__ volatile(
        "ldr r0, =0xE000ED88\n"
        "ldr r1, [r0]\n"
        "orr r1, r1, #(0xF << 20)\n"
        "str r1, [r0]\n"
        "dsb\n"
        "isb\n"
        "b start\n");
}

static void fault(void) {
    put_string("cortex-m: fault\n");
    exit_with(1);
}

__attribute__((section(".vectors"), used)) static void *const vectors[16] = {
    stack_top, reset_handler, fault, fault, fault, fault, fault, 0, 0, 0, 0, fault, fault, 0, fault, fault,
};

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

void __aeabi_memclr(void *destination, size_t count) { memset(destination, 0, count); }
void __aeabi_memclr4(void *destination, size_t count) { memset(destination, 0, count); }
void __aeabi_memclr8(void *destination, size_t count) { memset(destination, 0, count); }
void __aeabi_memset(void *destination, size_t count, int value) { memset(destination, value, count); }
void __aeabi_memset4(void *destination, size_t count, int value) { memset(destination, value, count); }
void __aeabi_memset8(void *destination, size_t count, int value) { memset(destination, value, count); }
void __aeabi_memcpy(void *destination, const void *source, size_t count) { memcpy(destination, source, count); }
void __aeabi_memcpy4(void *destination, const void *source, size_t count) { memcpy(destination, source, count); }
void __aeabi_memcpy8(void *destination, const void *source, size_t count) { memcpy(destination, source, count); }
void __aeabi_memmove(void *destination, const void *source, size_t count) { memmove(destination, source, count); }
void __aeabi_memmove4(void *destination, const void *source, size_t count) { memmove(destination, source, count); }
void __aeabi_memmove8(void *destination, const void *source, size_t count) { memmove(destination, source, count); }
