#ifndef VECTOR_MATH_H
#define VECTOR_MATH_H
#include <stddef.h>
#include "packed_gemm.h"

/// Element-wise kernels over Float32 rows, 16 lanes at a time, compiled for AVX-512,
/// AVX2 + FMA and baseline x86-64 from one source (vector_math_body.h) and chosen by
/// `isa` at run time. Swift's own SIMD types compile to the baseline's 128-bit vectors
/// only; these run on the CPU's full width.
///
/// exp is Cephes' (range reduction by ln 2, degree-6 polynomial), its argument clamped
/// to [-87.3, 88.3]; tanh uses Cephes' odd polynomial below |x| = 0.625 and
/// 1 - 2 / (e^{2|x|} + 1) above; both within a few units in the last place of Float32.
/// NaN stays NaN.

/// x ← 1 / (1 + e^{-x}).
void vector_sigmoid(packed_gemm_isa isa, float *x, size_t count);

/// x ← tanh x.
void vector_tanh(packed_gemm_isa isa, float *x, size_t count);

/// The largest value, NaN ignored; -infinity for an empty row.
float vector_maximum(packed_gemm_isa isa, const float *x, size_t count);

/// Σ e^{(x - shift) · scale}, summed in Float64.
double vector_sum_exp(packed_gemm_isa isa, const float *x, size_t count, float shift, float scale);

/// x ← e^{x - shift}; returns their sum, in Float64.
double vector_exponentiate(packed_gemm_isa isa, float *x, size_t count, float shift);

/// x ← scale · x.
void vector_scale(packed_gemm_isa isa, float *x, size_t count, float scale);

#endif
