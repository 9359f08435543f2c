#ifndef VECTOR_MATH_H
#define VECTOR_MATH_H
#include <stddef.h>
#include <stdint.h>
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

/// y ← y + x.
void vector_add(packed_gemm_isa isa, float *y, const float *x, size_t count);

/// For each column j of x [rows, columns] (row length ld): maxima[j] ← its largest value
/// (NaN ignored) and sums[j] ← Σ_r e^{x[r, j] − maxima[j]}, summed in Float64 in row order.
/// A log-sum-exp down the columns, for logits laid out one column per row of the batch.
void vector_column_log_sum_exp(packed_gemm_isa isa, const float *x, size_t rows, size_t columns, size_t ld,
                               float *maxima, double *sums);

/// Dropout's keep (1) or drop (0) decisions for elements first .. first + count - 1 of
/// one mask, into mask[0 .. count - 1]: element j is dropped when the top 24 bits of
/// SplitMix64's output for the counter key + (j + 1) · 0x9E3779B97F4A7C15 are below
/// `threshold` (⌈p · 2²⁴⌉ drops with probability p). Counter-based: each decision depends
/// on key and j alone, so any split of a mask between threads, and every instruction
/// set, gives the same mask.
void vector_dropout_mask(packed_gemm_isa isa, uint8_t *mask, size_t first, size_t count, uint64_t key,
                         uint32_t threshold);

/// One LSTM step for one batch row of `size` units, PyTorch's gate order: `gates` [4 ·
/// size] plus `addend` [4 · size] (when not NULL: the biases, or a row of a projected
/// lookup table) are the pre-activations [i | f | g | o]; `gates` becomes the activations σ(i),
/// σ(f), tanh(g), σ(o); then cell ← σ(f)·previous_cell + σ(i)·tanh(g) and output ←
/// σ(o)·tanh(cell). With peephole weights (each [size], or NULL), i and f first add
/// ci·previous_cell and cf·previous_cell, and o adds co·cell.
void vector_lstm_forward(packed_gemm_isa isa, float *gates, const float *addend, const float *previous_cell,
                         float *cell, float *output, const float *ci, const float *cf, const float *co, size_t size);

/// The backward of vector_lstm_forward for one row: `gates` holds that step's
/// activations and becomes the pre-activation gradients [di | df | dg | do], in place.
/// The output gradient is upstream + carried_hidden; carried_cell holds dL/dcell from
/// the later step and becomes dL/dprevious_cell. tanh(cell) is recomputed.
void vector_lstm_backward(packed_gemm_isa isa, float *gates, const float *previous_cell, const float *cell,
                          const float *upstream, const float *carried_hidden, float *carried_cell, const float *ci,
                          const float *cf, const float *co, size_t size);

#endif
