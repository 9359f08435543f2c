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

/// The vector instruction sets lmtool's own kernels (CMatrixProducts, CElementwiseKernels)
/// are written for.
typedef enum {
    ccpu_isa_portable = 0,   // plain C
    ccpu_isa_avx2 = 1,       // AVX2 + FMA
    ccpu_isa_avx512 = 2,     // AVX-512 F
} ccpu_isa;

/// The fastest of those this CPU and operating system support (x86-64 only; elsewhere
/// portable). AVX-512 needs F alone here, where CPUFeatures (OpenBLAS's choice) asks for
/// F, BW, DQ and VL.
ccpu_isa ccpu_best_isa(void);

/// Whether AVX-512 runs (ccpu_best_isa) with AVX512_BF16's instructions.
int ccpu_has_avx512_bf16(void);

#endif
