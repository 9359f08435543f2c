#ifndef PACKED_GEMM_H
#define PACKED_GEMM_H

/// The vector instruction sets lmtool's own kernels (blocked_gemm.h, bf16_gemv.h) are
/// written for.
typedef enum {
    packed_gemm_portable = 0,   // plain C
    packed_gemm_avx2 = 1,       // AVX2 + FMA
    packed_gemm_avx512 = 2,     // AVX-512 F
} packed_gemm_isa;

/// The fastest instruction set this CPU and operating system support.
packed_gemm_isa packed_gemm_best_isa(void);

/// Whether AVX-512 runs (packed_gemm_best_isa) with AVX512_BF16's instructions.
int packed_gemm_has_avx512_bf16(void);

#endif
