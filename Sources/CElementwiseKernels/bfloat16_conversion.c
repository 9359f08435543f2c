#include "bfloat16_conversion.h"

static uint16_t round_to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);  // quiet NaN
    bits += 0x7fffu + ((bits >> 16) & 1u);  // to nearest, ties to even; overflow gives infinity
    return (uint16_t)(bits >> 16);
}

void bf16_from_float(const float *values, size_t count, uint16_t *out) {
    for (size_t i = 0; i < count; i++) out[i] = round_to_bf16(values[i]);
}

void bf16_from_float_transposed(const float *values, size_t rows, size_t columns, size_t ld, uint16_t *out) {
    enum { BLOCK = 32 };  // a block's source rows and output rows stay in L1
    for (size_t i0 = 0; i0 < rows; i0 += BLOCK)
        for (size_t j0 = 0; j0 < columns; j0 += BLOCK) {
            size_t i_end = i0 + BLOCK < rows ? i0 + BLOCK : rows, j_end = j0 + BLOCK < columns ? j0 + BLOCK : columns;
            for (size_t j = j0; j < j_end; j++)
                for (size_t i = i0; i < i_end; i++) out[j * rows + i] = round_to_bf16(values[i * ld + j]);
        }
}

void bf16_to_float(const uint16_t *values, size_t count, float *out) {
    for (size_t i = 0; i < count; i++) out[i] = bf16_widen(values[i]);
}
