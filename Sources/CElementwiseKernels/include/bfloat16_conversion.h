#ifndef BFLOAT16_CONVERSION_H
#define BFLOAT16_CONVERSION_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/// bfloat16 values (the top 16 bits of a Float32) to and from Float32, for the weights
/// bf16_gemv.h and bf16_gemm.h multiply with.

/// Rounds each value to the nearest bfloat16 (ties to even); NaN stays NaN.
void bf16_from_float(const float *values, size_t count, uint16_t *out);

/// out[j * rows + i] = values[i * ld + j] rounded as bf16_from_float: the transpose of a
/// row-major [rows, columns] matrix (row length ld), for products with a weight on its
/// other side. Columns [c0, c1) of a matrix make rows [c0, c1) of its transpose.
void bf16_from_float_transposed(const float *values, size_t rows, size_t columns, size_t ld, uint16_t *out);

/// The Float32 value of each bfloat16 (exact).
void bf16_to_float(const uint16_t *values, size_t count, float *out);

/// The Float32 value of one bfloat16 (exact), inlined into the kernels that widen weights.
static inline float bf16_widen(uint16_t value) {
    uint32_t bits = (uint32_t)value << 16;
    float result;
    memcpy(&result, &bits, sizeof result);
    return result;
}

#endif
