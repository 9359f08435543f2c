#ifndef PACKED_GEMM_H
#define PACKED_GEMM_H
#include <stddef.h>

/// Matrix products with a small number of rows against a right-hand matrix packed once
/// and reused: the recurrent step `h_{t-1} W_hh^T` of every cell, where the same weight
/// is multiplied by a thin [B, H] matrix at each of the window's T steps. OpenBLAS packs
/// the weight again at every call; here it is packed once per window.
///
/// Packed layout: op(B) [k, n] is cut into column panels of PACKED_GEMM_PANEL columns
/// (the last one zero-padded); panel j holds rows 0..k-1 of its columns, each row's
/// PACKED_GEMM_PANEL values contiguous, so a micro-kernel reads one panel front to back.

#define PACKED_GEMM_PANEL 16

/// Instruction sets a product can run on.
typedef enum {
    packed_gemm_portable = 0,   // plain C
    packed_gemm_avx2 = 1,       // AVX2 + FMA
    packed_gemm_avx512 = 2,     // AVX-512 F
} packed_gemm_isa;

/// Panels needed for n columns.
size_t packed_gemm_panels(size_t n);

/// Floats the packed form of a [k, n] matrix takes.
size_t packed_gemm_packed_count(size_t k, size_t n);

/// Packs op(B) [k, n], whose element (p, j) is b[p * row_stride + j * column_stride]
/// (row_stride = n, column_stride = 1 for a row-major [k, n] matrix; row_stride = 1,
/// column_stride = k to use a row-major [n, k] matrix transposed).
void packed_gemm_pack(const float *b, size_t k, size_t n, size_t row_stride, size_t column_stride,
                      float *packed);

/// The fastest instruction set this CPU and operating system support.
packed_gemm_isa packed_gemm_best_isa(void);

/// C[m, n] = A[m, k] · B + beta · C for the columns of panels [first_panel,
/// first_panel + panel_count): B packed by packed_gemm_pack with the same k and n;
/// A and C row-major with row lengths lda and ldc. beta = 0 ignores C's old contents
/// (NaN included). Different panel ranges may run on different threads at once.
void packed_gemm_multiply(packed_gemm_isa isa, size_t m, size_t n, size_t k, const float *a, size_t lda,
                          const float *packed, float beta, float *c, size_t ldc,
                          size_t first_panel, size_t panel_count);

#endif
