#ifndef BF16_GEMV_H
#define BF16_GEMV_H
#include <stddef.h>
#include <stdint.h>
#include "packed_gemm.h"

/// Matrix-vector products with weights stored as bfloat16 (the top 16 bits of a
/// Float32): batch-1 generation reads every weight once per token, so it is bound by
/// memory bandwidth, and half the bytes per weight is nearly half the time. Each weight
/// is widened to Float32 exactly and the products are summed in Float32, so the result is
/// that of a Float32 product with the rounded weights (up to summation order).

/// Rounds each value to the nearest bfloat16 (ties to even); NaN stays NaN.
void bf16_from_float(const float *values, size_t count, uint16_t *out);

/// out[j * rows + i] = values[i * ld + j] rounded as bf16_from_float: the transpose of a
/// row-major [rows, columns] matrix (row length ld), for products with a weight on its
/// other side. Columns [c0, c1) of a matrix make rows [c0, c1) of its transpose.
void bf16_from_float_transposed(const float *values, size_t rows, size_t columns, size_t ld, uint16_t *out);

/// The Float32 value of each bfloat16 (exact).
void bf16_to_float(const uint16_t *values, size_t count, float *out);

/// y[r] = sum_c w[r * ldw + c] * x[c] + beta * y[r] for r in [0, rows), c in [0, columns).
/// beta = 0 ignores y's old contents. Different row ranges may run on different threads.
void bf16_gemv(packed_gemm_isa isa, size_t rows, size_t columns, const uint16_t *w, size_t ldw, const float *x,
               float beta, float *y);

#endif
