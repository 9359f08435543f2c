#include "bf16_gemv.h"
#include "bfloat16_conversion.h"

static void store(float sum, float beta, float *y) { *y = beta == 0 ? sum : sum + beta * *y; }

static void gemv_portable(size_t rows, size_t columns, const uint16_t *w, size_t ldw, const float *x, float beta,
                          float *y) {
    for (size_t r = 0; r < rows; r++) {
        float sum = 0;
        for (size_t c = 0; c < columns; c++) sum += bf16_widen(w[r * ldw + c]) * x[c];
        store(sum, beta, y + r);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

enum { ROWS = 4 };

__attribute__((target("avx2,fma"))) static inline float sum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

enum { SPLIT_COLUMNS = 4096 };

/// ROWS rows at a time share each load of x. Sixteen weights load as one 256-bit word of
/// eight 32-bit lanes, lane j holding weights 2j (low half) and 2j + 1 (high half): a
/// shift widens the even weights and a mask the odd ones, against x de-interleaved into
/// the same order (per block of 16: the even entries, then the odd). Fewer instructions
/// per weight than widening 8 at a time, which matters where 256-bit operations run as two
/// halves (Zen 1: +9% on the 33,278 x 650 decoder). At most SPLIT_COLUMNS columns.
__attribute__((target("avx2,fma"))) static void gemv_avx2_columns(size_t rows, size_t columns, const uint16_t *w,
                                                                   size_t ldw, const float *x, float beta,
                                                                   float *y) {
    size_t blocked = columns / 16 * 16;
    float split[SPLIT_COLUMNS];
    for (size_t c = 0; c < blocked; c += 16) {
        for (int j = 0; j < 8; j++) {
            split[c + j] = x[c + 2 * j];
            split[c + 8 + j] = x[c + 2 * j + 1];
        }
    }
    const __m256i high = _mm256_set1_epi32((int)0xffff0000u);
    size_t r = 0;
    for (; r + ROWS <= rows; r += ROWS) {
        __m256 acc[ROWS][2];
        for (int i = 0; i < ROWS; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
        for (size_t c = 0; c < blocked; c += 16) {
            __m256 even = _mm256_loadu_ps(split + c), odd = _mm256_loadu_ps(split + c + 8);
            for (int i = 0; i < ROWS; i++) {
                __m256i pairs = _mm256_loadu_si256((const __m256i *)(w + (r + i) * ldw + c));
                acc[i][0] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(pairs, 16)), even, acc[i][0]);
                acc[i][1] = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_and_si256(pairs, high)), odd, acc[i][1]);
            }
        }
        for (int i = 0; i < ROWS; i++) {
            float sum = sum8(_mm256_add_ps(acc[i][0], acc[i][1]));
            for (size_t t = blocked; t < columns; t++) sum += bf16_widen(w[(r + i) * ldw + t]) * x[t];
            store(sum, beta, y + r + i);
        }
    }
    gemv_portable(rows - r, columns, w + r * ldw, ldw, x, beta, y + r);
}

/// Wider matrices in column slices of SPLIT_COLUMNS, each slice adding into y.
__attribute__((target("avx2,fma"))) static void gemv_avx2(size_t rows, size_t columns, const uint16_t *w,
                                                           size_t ldw, const float *x, float beta, float *y) {
    size_t first = 0;
    do {
        size_t width = columns - first < SPLIT_COLUMNS ? columns - first : SPLIT_COLUMNS;
        gemv_avx2_columns(rows, width, w + first, ldw, x + first, first == 0 ? beta : 1, y);
        first += SPLIT_COLUMNS;
    } while (first < columns);
}

__attribute__((target("avx512f"))) static inline __m512 widen16(const uint16_t *w) {
    __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)w));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

__attribute__((target("avx512f"))) static void gemv_avx512(size_t rows, size_t columns, const uint16_t *w,
                                                            size_t ldw, const float *x, float beta, float *y) {
    size_t r = 0;
    for (; r + ROWS <= rows; r += ROWS) {
        __m512 acc[ROWS][2];
        for (int i = 0; i < ROWS; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
        size_t c = 0;
        for (; c + 32 <= columns; c += 32) {
            __m512 x0 = _mm512_loadu_ps(x + c), x1 = _mm512_loadu_ps(x + c + 16);
            for (int i = 0; i < ROWS; i++) {
                const uint16_t *row = w + (r + i) * ldw + c;
                acc[i][0] = _mm512_fmadd_ps(widen16(row), x0, acc[i][0]);
                acc[i][1] = _mm512_fmadd_ps(widen16(row + 16), x1, acc[i][1]);
            }
        }
        for (; c + 16 <= columns; c += 16) {
            __m512 x0 = _mm512_loadu_ps(x + c);
            for (int i = 0; i < ROWS; i++) acc[i][0] = _mm512_fmadd_ps(widen16(w + (r + i) * ldw + c), x0, acc[i][0]);
        }
        for (int i = 0; i < ROWS; i++) {
            float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc[i][0], acc[i][1]));
            for (size_t t = c; t < columns; t++) sum += bf16_widen(w[(r + i) * ldw + t]) * x[t];
            store(sum, beta, y + r + i);
        }
    }
    gemv_portable(rows - r, columns, w + r * ldw, ldw, x, beta, y + r);
}
#endif

void bf16_gemv(ccpu_isa isa, size_t rows, size_t columns, const uint16_t *w, size_t ldw, const float *x,
               float beta, float *y) {
#if defined(__x86_64__)
    if (isa == ccpu_isa_avx512) {
        gemv_avx512(rows, columns, w, ldw, x, beta, y);
        return;
    }
    if (isa == ccpu_isa_avx2) {
        gemv_avx2(rows, columns, w, ldw, x, beta, y);
        return;
    }
#endif
    gemv_portable(rows, columns, w, ldw, x, beta, y);
}
