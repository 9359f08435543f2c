// The element-wise kernels (vector_math.h, dropout_mask.h, lstm_cell.h), each compiled
// three times from one source in this one file, for AVX-512, AVX2 + FMA and baseline
// x86-64 (baseline alone elsewhere), and the entry points that call the copy `isa` asks
// for.
#include "dropout_mask.h"
#include "lstm_cell.h"
#include "vector_math.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// The helpers pass 16-float vectors by value between functions compiled for the same
// instruction set, all static and inlined: no ABI boundary is crossed.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
typedef double v8d __attribute__((vector_size(64)));

#define TARGET
#define NAME(f) f##_baseline
#include "one_instruction_set.h"
#undef TARGET
#undef NAME

#if defined(__x86_64__)
#define TARGET __attribute__((target("avx2,fma")))
#define NAME(f) f##_avx2
#include "one_instruction_set.h"
#undef TARGET
#undef NAME

#define TARGET __attribute__((target("avx512f,avx512dq")))
#define NAME(f) f##_avx512
#include "one_instruction_set.h"
#undef TARGET
#undef NAME

#define DISPATCH(isa, f, ...)                                    \
    ((isa) == ccpu_isa_avx512 ? f##_avx512(__VA_ARGS__)          \
     : (isa) == ccpu_isa_avx2 ? f##_avx2(__VA_ARGS__)            \
                              : f##_baseline(__VA_ARGS__))
#else
#define DISPATCH(isa, f, ...) f##_baseline(__VA_ARGS__)
#endif

void vector_sigmoid(ccpu_isa isa, float *x, size_t count) { DISPATCH(isa, sigmoid, x, count); }

void vector_tanh(ccpu_isa isa, float *x, size_t count) { DISPATCH(isa, tanh, x, count); }

float vector_maximum(ccpu_isa isa, const float *x, size_t count) {
    return DISPATCH(isa, maximum, x, count);
}

double vector_sum_exp(ccpu_isa isa, const float *x, size_t count, float shift, float scale) {
    return DISPATCH(isa, sum_exp, x, count, shift, scale);
}

double vector_exponentiate(ccpu_isa isa, float *x, size_t count, float shift) {
    return DISPATCH(isa, exponentiate, x, count, shift);
}

void vector_scale(ccpu_isa isa, float *x, size_t count, float scale) { DISPATCH(isa, scale, x, count, scale); }

void vector_add(ccpu_isa isa, float *y, const float *x, size_t count) { DISPATCH(isa, add, y, x, count); }

void vector_column_log_sum_exp(ccpu_isa isa, const float *x, size_t rows, size_t columns, size_t ld,
                               float *maxima, double *sums) {
    DISPATCH(isa, column_log_sum_exp, x, rows, columns, ld, maxima, sums);
}

void vector_dropout_mask(ccpu_isa isa, uint8_t *mask, size_t first, size_t count, uint64_t key,
                         uint32_t threshold) {
    DISPATCH(isa, dropout_mask, mask, first, count, key, threshold);
}

void vector_lstm_forward(ccpu_isa isa, float *gates, const float *addend, const float *previous_cell,
                         float *cell, float *output, const float *ci, const float *cf, const float *co, size_t size) {
    DISPATCH(isa, lstm_forward, gates, addend, previous_cell, cell, output, ci, cf, co, size);
}

void vector_lstm_backward(ccpu_isa isa, float *gates, const float *previous_cell, const float *cell,
                          const float *upstream, const float *carried_hidden, float *carried_cell, const float *ci,
                          const float *cf, const float *co, size_t size) {
    DISPATCH(isa, lstm_backward, gates, previous_cell, cell, upstream, carried_hidden, carried_cell, ci, cf, co, size);
}
