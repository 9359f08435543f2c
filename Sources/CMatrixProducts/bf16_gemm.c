#include "bf16_gemm.h"
#include "bfloat16_conversion.h"
#include "kernel_rows.h"
#include "ccpu.h"
#include <stdlib.h>

enum { TILE = 32, ROWS = 12, GROUP = 8 };

size_t bf16_pair_count(size_t k) { return (k + 1) / 2; }

size_t bf16_gemm_tile_columns(void) { return TILE; }

size_t bf16_gemm_packed_count(size_t k, size_t n) { return (n + TILE - 1) / TILE * TILE * bf16_pair_count(k); }

static uint32_t pair(uint16_t even, uint16_t odd) { return (uint32_t)even | (uint32_t)odd << 16; }

void bf16_gemm_pack(const uint16_t *w, size_t k, size_t n, size_t ldw, uint32_t *packed, size_t first_tile,
                    size_t tile_count) {
    size_t pairs = bf16_pair_count(k);
    for (size_t t = first_tile; t < first_tile + tile_count; t++) {
        uint32_t *tile = packed + t * TILE * pairs;
        for (size_t j = 0; j < TILE; j++) {
            size_t column = t * TILE + j;
            const uint16_t *row = w + column * ldw;
            for (size_t p = 0; p < pairs; p++) {
                uint32_t value = 0;
                if (column < n) value = pair(row[2 * p], 2 * p + 1 < k ? row[2 * p + 1] : 0);
                tile[p * TILE + j] = value;
            }
        }
    }
}

/// Pairs of `count` (at most 32) elements of a row; a missing odd element is zero.
static void pack_tail(const float *a, size_t count, uint32_t *out) {
    uint16_t half[32] = {0};
    bf16_from_float(a, count, half);
    for (size_t p = 0; p < (count + 1) / 2; p++) out[p] = pair(half[2 * p], half[2 * p + 1]);
}

static void round_portable(const float *values, size_t count, float *out) {
    uint16_t half[32];
    for (size_t e = 0; e < count; e += 32) {
        size_t n = count - e < 32 ? count - e : 32;
        bf16_from_float(values + e, n, half);
        bf16_to_float(half, n, out + e);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

int bf16_gemm_supported(void) {
    static int supported = -1;  // read and written atomically: threads may ask at once
    int known = __atomic_load_n(&supported, __ATOMIC_RELAXED);
    if (known >= 0) return known;
    int result = ccpu_has_avx512_bf16();
    __atomic_store_n(&supported, result, __ATOMIC_RELAXED);
    return result;
}

/// Sixteen floats rounded as bf16_from_float rounds them (to nearest, ties to even; NaN
/// quieted), as sixteen bfloat16 in order.
__attribute__((target("avx512f"))) static __m256i round16_values(__m512 values) {
    __m512i bits = _mm512_castps_si512(values);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
    __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), odd));
    __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, _mm512_set1_epi32(0x7fffffff)),
                                            _mm512_set1_epi32(0x7f800000));
    rounded = _mm512_mask_mov_epi32(rounded, nan, _mm512_or_si512(bits, _mm512_set1_epi32(0x400000)));
    return _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16));
}

/// round16_values of x[0 ..< 16]: eight pairs.
__attribute__((target("avx512f"))) static __m256i round16(const float *x) { return round16_values(_mm512_loadu_ps(x)); }

/// bf16_pack_columns for pairs [first_pair, end_pair), 16 columns at a time: each column's
/// two values rounded, the even row's in the low half of its word.
__attribute__((target("avx512f"))) static void pack_columns_avx512(const float *s, size_t k, size_t width, size_t ld,
                                                                    size_t block, size_t first_pair, size_t end_pair,
                                                                    uint32_t *out) {
    size_t pairs = bf16_pair_count(k), padded = (width + block - 1) / block * block;
    for (size_t p = first_pair; p < end_pair; p++) {
        const float *even = s + 2 * p * ld, *odd = 2 * p + 1 < k ? even + ld : NULL;
        for (size_t b0 = 0; b0 < padded; b0 += block) {
            uint32_t *words = out + b0 * pairs + p * block;
            for (size_t c = 0; c < block; c += 16) {
                size_t count = block - c < 16 ? block - c : 16;
                size_t first = b0 + c, valid = width > first ? (width - first < count ? width - first : count) : 0;
                __mmask16 load = (__mmask16)((1u << valid) - 1), store = (__mmask16)((1u << count) - 1);
                __m512i low = _mm512_cvtepu16_epi32(round16_values(_mm512_maskz_loadu_ps(load, even + first)));
                __m512i high = odd ? _mm512_cvtepu16_epi32(round16_values(_mm512_maskz_loadu_ps(load, odd + first)))
                                   : _mm512_setzero_si512();
                _mm512_mask_storeu_epi32(words + c, store, _mm512_or_si512(low, _mm512_slli_epi32(high, 16)));
            }
        }
    }
}

/// The pairs of 32 floats, rounded as pack_tail rounds them.
__attribute__((target("avx512f"))) static void pack_chunk_avx512(const float *a, uint32_t *out) {
    _mm256_storeu_si256((__m256i *)out, round16(a));
    _mm256_storeu_si256((__m256i *)(out + 8), round16(a + 16));
}

__attribute__((target("avx512f"))) static void round_avx512(const float *values, size_t count, float *out) {
    size_t blocked = count / 16 * 16;
    for (size_t e = 0; e < blocked; e += 16) {
        __m512i wide = _mm512_cvtepu16_epi32(round16(values + e));
        _mm512_storeu_ps(out + e, _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16)));
    }
    round_portable(values + blocked, count - blocked, out + blocked);
}

/// 12 x 32: 24 accumulators; per pair step two loads of W and twelve broadcast pairs of A.
__attribute__((target("avx512f,avx512bf16"), always_inline)) static inline void
kernel_rows(size_t rows, size_t columns, size_t depth, const uint32_t *ap, const uint32_t *bp, float beta, float *c,
            size_t ldc, size_t lda) {
    __m512 acc[ROWS][2];
    for (size_t r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (size_t p = 0; p < depth; p++) {
        __m512bh w0 = (__m512bh)_mm512_loadu_si512(bp + p * TILE);
        __m512bh w1 = (__m512bh)_mm512_loadu_si512(bp + p * TILE + 16);
        for (size_t r = 0; r < rows; r++) {
            __m512bh x = (__m512bh)_mm512_set1_epi32((int)ap[p * lda + r]);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], x, w0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], x, w1);
        }
    }
    store_tile_avx512(rows, columns, acc, beta, c, ldc);
}

#define KERNEL_BF16(n, columns, depth, ap, bp, beta, c, ldc) kernel_rows(n, columns, depth, ap, bp, beta, c, ldc, lda)
__attribute__((target("avx512f,avx512bf16"))) static void kernel(size_t rows, size_t columns, size_t depth,
                                                                  const uint32_t *ap, size_t lda, const uint32_t *bp,
                                                                  float beta, float *c, size_t ldc) {
    switch (rows) { UP_TO_12_ROWS(KERNEL_BF16) }
}

void bf16_gemm_multiply_packed(size_t m, size_t n, size_t k, const uint32_t *a, const uint32_t *packed, float beta,
                               float *c, size_t ldc, size_t first_tile, size_t tile_count) {
    size_t depth = bf16_pair_count(k), end_tile = first_tile + tile_count, lda = ROWS;
    // A group of W's tiles stays in L2 while every strip of A's rows passes over it.
    for (size_t g = first_tile; g < end_tile; g += GROUP) {
        size_t group_end = g + GROUP < end_tile ? g + GROUP : end_tile;
        for (size_t i = 0; i < m; i += ROWS) {
            size_t rows = m - i < ROWS ? m - i : ROWS;
            for (size_t t = g; t < group_end; t++) {
                size_t j = t * TILE;
                if (j >= n) break;
                size_t columns = n - j < TILE ? n - j : TILE;
                kernel(rows, columns, depth, a + i * depth, lda, packed + t * TILE * depth, beta, c + i * ldc + j,
                       ldc);
            }
        }
    }
}

void bf16_round(const float *values, size_t count, float *out) {
    if (bf16_gemm_supported()) {
        round_avx512(values, count, out);
        return;
    }
    round_portable(values, count, out);
}

/// The pairs of `count` (at most 32) floats.
static void pack_chunk(const float *a, size_t count, uint32_t *out) {
    if (count == 32 && bf16_gemm_supported()) {
        pack_chunk_avx512(a, out);
        return;
    }
    pack_tail(a, count, out);
}
#else
int bf16_gemm_supported(void) { return 0; }

void bf16_gemm_multiply_packed(size_t m, size_t n, size_t k, const uint32_t *a, const uint32_t *packed, float beta,
                               float *c, size_t ldc, size_t first_tile, size_t tile_count) {
    (void)m, (void)n, (void)k, (void)a, (void)packed, (void)beta, (void)c, (void)ldc, (void)first_tile,
        (void)tile_count;
    abort();  // callers check bf16_gemm_supported()
}

void bf16_round(const float *values, size_t count, float *out) { round_portable(values, count, out); }

static void pack_chunk(const float *a, size_t count, uint32_t *out) { pack_tail(a, count, out); }
#endif

size_t bf16_packed_rows_count(size_t m, size_t k) { return (m + ROWS - 1) / ROWS * ROWS * bf16_pair_count(k); }

static void pack_columns_portable(const float *s, size_t k, size_t width, size_t ld, size_t block, size_t first_pair,
                                  size_t end_pair, uint32_t *out) {
    size_t pairs = bf16_pair_count(k), padded = (width + block - 1) / block * block;
    for (size_t p = first_pair; p < end_pair; p++)
        for (size_t c = 0; c < padded; c++) {
            uint16_t even = 0, odd = 0;
            if (c < width) {
                bf16_from_float(s + 2 * p * ld + c, 1, &even);
                if (2 * p + 1 < k) bf16_from_float(s + (2 * p + 1) * ld + c, 1, &odd);
            }
            out[c / block * block * pairs + p * block + c % block] = pair(even, odd);
        }
}

void bf16_pack_columns(const float *s, size_t k, size_t width, size_t ld, size_t block, size_t first_pair,
                       size_t pair_count, uint32_t *out) {
#if defined(__x86_64__)
    if (bf16_gemm_supported()) {
        pack_columns_avx512(s, k, width, ld, block, first_pair, first_pair + pair_count, out);
        return;
    }
#endif
    pack_columns_portable(s, k, width, ld, block, first_pair, first_pair + pair_count, out);
}

void bf16_pack_rows(const float *a, size_t m, size_t k, size_t lda, uint32_t *out) {
    size_t pairs = bf16_pair_count(k);
    uint32_t chunk[16];
    for (size_t i = 0; i < m; i++) {
        uint32_t *strip = out + i / ROWS * ROWS * pairs + i % ROWS;
        for (size_t e = 0; e < k; e += 32) {
            size_t count = k - e < 32 ? k - e : 32;
            pack_chunk(a + i * lda + e, count, chunk);
            for (size_t q = 0; q < (count + 1) / 2; q++) strip[(e / 2 + q) * ROWS] = chunk[q];
        }
    }
}
