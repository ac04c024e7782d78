// A minimal RV32IMAFC firmware runtime for the tests of `cnnc build --target riscv32`: a reset
// handler that sets the stack and turns the FPU on (mstatus.FS) before any float instruction runs,
// copies .data and zero-fills .bss, then calls main(); RISC-V semihosting (QEMU's -semihosting),
// whose trap is the three-instruction sequence around ebreak, uncompressed.

#include <stdint.h>

int main(void);
_Noreturn void exit_with(int status);

extern uint32_t data_start[], data_end[], data_load[], bss_start[], bss_end[];

int semihost(int operation, const void *argument) {
    register int a0 __asm__("a0") = operation;
    register const void *a1 __asm__("a1") = argument;
    __asm__ volatile(
        ".option push\n"
        ".option norvc\n"
        ".balign 16\n"
        "slli zero, zero, 0x1f\n"
        "ebreak\n"
        "srai zero, zero, 7\n"
        ".option pop\n"
        : "+r"(a0) : "r"(a1) : "memory");
    return a0;
}

void start(void) {
    for (uint32_t *from = data_load, *to = data_start; to < data_end;) *to++ = *from++;
    for (uint32_t *to = bss_start; to < bss_end;) *to++ = 0;
    exit_with(main());
}

__attribute__((naked, section(".text.reset"))) void reset_handler(void) {
    __asm__ volatile(
        ".option push\n"
        ".option norelax\n"
        "la sp, stack_top\n"
        ".option pop\n"
        "li t0, 0x2000\n"   // mstatus.FS = Initial
        "csrs mstatus, t0\n"
        "csrwi fcsr, 0\n"
        "j start\n");
}
