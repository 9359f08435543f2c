#ifndef BF16_GEMV_H
#define BF16_GEMV_H
#include <stddef.h>
#include <stdint.h>
#include "ccpu.h"

/// Matrix-vector products with weights stored as bfloat16 (the top 16 bits of a
/// Float32): batch-1 generation reads every weight once per token, so it is bound by
/// memory bandwidth, and half the bytes per weight is nearly half the time. Each weight
/// is widened to Float32 exactly and the products are summed in Float32, so the result is
/// that of a Float32 product with the rounded weights (up to summation order). The
/// conversions are bfloat16_conversion.h's.

/// y[r] = sum_c w[r * ldw + c] * x[c] + beta * y[r] for r in [0, rows), c in [0, columns).
/// beta = 0 ignores y's old contents. Different row ranges may run on different threads.
void bf16_gemv(ccpu_isa isa, size_t rows, size_t columns, const uint16_t *w, size_t ldw, const float *x,
               float beta, float *y);

#endif
