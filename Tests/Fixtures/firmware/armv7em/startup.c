// A minimal Cortex-M4F firmware runtime for the tests of `cnnc build --target armv7em`: the vector
// table, a reset handler that enables the FPU before any float instruction runs, copies .data and
// zero-fills .bss, then calls main(); ARM semihosting (QEMU's -semihosting); the __aeabi_mem*
// forms of the memory functions (../common.c has the rest).

#include <stddef.h>
#include <stdint.h>

int main(void);
void put_string(const char *text);
_Noreturn void exit_with(int status);
void *memset(void *destination, int value, size_t count);
void *memcpy(void *restrict destination, const void *restrict source, size_t count);
void *memmove(void *destination, const void *source, size_t count);

extern uint32_t data_start[], data_end[], data_load[], bss_start[], bss_end[], stack_top[];

int semihost(int operation, const void *argument) {
    register int r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
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
