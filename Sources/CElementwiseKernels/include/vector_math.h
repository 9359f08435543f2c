#ifndef VECTOR_MATH_H
#define VECTOR_MATH_H
#include <stddef.h>
#include "ccpu.h"

/// Element-wise kernels over Float32 rows, 16 lanes at a time, compiled for AVX-512,
/// AVX2 + FMA and baseline x86-64 from one source (vector_math_body.h, in
/// elementwise_kernels.c) and chosen by `isa` at run time. Swift's own SIMD types
/// compile to the baseline's 128-bit vectors only; these run on the CPU's full width.
///
/// exp is Cephes' (range reduction by ln 2, degree-6 polynomial), its argument clamped
/// to [-87.3, 88.3]; tanh uses Cephes' odd polynomial below |x| = 0.625 and
/// 1 - 2 / (e^{2|x|} + 1) above; both within a few units in the last place of Float32.
/// NaN stays NaN.

/// x ← 1 / (1 + e^{-x}).
void vector_sigmoid(ccpu_isa isa, float *x, size_t count);

/// x ← tanh x.
void vector_tanh(ccpu_isa isa, float *x, size_t count);

/// The largest value, NaN ignored; -infinity for an empty row.
float vector_maximum(ccpu_isa isa, const float *x, size_t count);

/// Σ e^{(x - shift) · scale}, summed in Float64.
double vector_sum_exp(ccpu_isa isa, const float *x, size_t count, float shift, float scale);

/// x ← e^{x - shift}; returns their sum, in Float64.
double vector_exponentiate(ccpu_isa isa, float *x, size_t count, float shift);

/// x ← scale · x.
void vector_scale(ccpu_isa isa, float *x, size_t count, float scale);

/// y ← y + x.
void vector_add(ccpu_isa isa, float *y, const float *x, size_t count);

/// For each column j of x [rows, columns] (row length ld): maxima[j] ← its largest value
/// (NaN ignored) and sums[j] ← Σ_r e^{x[r, j] − maxima[j]}, summed in Float64 in row order.
/// A log-sum-exp down the columns, for logits laid out one column per row of the batch.
void vector_column_log_sum_exp(ccpu_isa isa, const float *x, size_t rows, size_t columns, size_t ld,
                               float *maxima, double *sums);

#endif
