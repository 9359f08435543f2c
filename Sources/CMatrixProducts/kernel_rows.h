#ifndef KERNEL_ROWS_H
#define KERNEL_ROWS_H
// What the micro-kernels of blocked_gemm.c and bf16_gemm.c share.

/// Instantiate KERNEL once per row count, so each copy keeps its accumulators in
/// registers with its loops over rows unrolled. KERNEL takes (rows, columns, depth, ap, bp,
/// beta, c, ldc), those names in scope at the switch.
#define CASE(n, KERNEL) \
    case n: KERNEL(n, columns, depth, ap, bp, beta, c, ldc); break;
#define UP_TO_6_ROWS(KERNEL)                                                                    \
    CASE(6, KERNEL) CASE(5, KERNEL) CASE(4, KERNEL) CASE(3, KERNEL) CASE(2, KERNEL)             \
    default: KERNEL(1, columns, depth, ap, bp, beta, c, ldc); break;
#define UP_TO_12_ROWS(KERNEL)                                                                   \
    CASE(12, KERNEL) CASE(11, KERNEL) CASE(10, KERNEL) CASE(9, KERNEL) CASE(8, KERNEL)          \
    CASE(7, KERNEL) UP_TO_6_ROWS(KERNEL)

#if defined(__x86_64__)
#include <immintrin.h>

/// Writes an AVX-512 kernel's tile of up to 12 rows by 32 columns, acc[r][0] holding
/// columns 0-15 of row r and acc[r][1] columns 16-31: C = acc + beta · C (beta = 0
/// ignores C's old contents), columns past `columns` untouched.
__attribute__((target("avx512f"), always_inline)) static inline void
store_tile_avx512(size_t rows, size_t columns, __m512 acc[][2], float beta, float *c, size_t ldc) {
    size_t low = columns < 16 ? columns : 16, high = columns - low;
    __mmask16 mask0 = (__mmask16)((1u << low) - 1), mask1 = (__mmask16)((1u << high) - 1);
    __m512 scale = _mm512_set1_ps(beta);
    for (size_t r = 0; r < rows; r++) {
        float *out = c + r * ldc;
        if (beta != 0) {
            acc[r][0] = _mm512_fmadd_ps(scale, _mm512_maskz_loadu_ps(mask0, out), acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(scale, _mm512_maskz_loadu_ps(mask1, out + 16), acc[r][1]);
        }
        _mm512_mask_storeu_ps(out, mask0, acc[r][0]);
        _mm512_mask_storeu_ps(out + 16, mask1, acc[r][1]);
    }
}
#endif

#endif
