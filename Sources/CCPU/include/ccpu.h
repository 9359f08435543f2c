#ifndef CCPU_H
#define CCPU_H
#include <stdint.h>

/// Raw CPUID answers the kernel chooser needs; all zero on a non-x86 CPU.
typedef struct {
    char vendor[13];        // "GenuineIntel", "AuthenticAMD", ...
    char brand[49];         // processor brand string
    uint32_t family;        // display family (base + extended)
    uint32_t model;         // display model (base + extended)
    int sse3, avx, avx2, fma, avx512f, avx512bw, avx512dq, avx512vl, avx512bf16;
    int osSavesAVX, osSavesAVX512;   // XGETBV says the OS keeps the wide registers
} ccpu_info;

/// Fills `info` from CPUID/XGETBV.
void ccpu_read(ccpu_info *info);

#endif
