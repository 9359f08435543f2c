#include "packed_gemm.h"
#include <string.h>

enum { PANEL = PACKED_GEMM_PANEL, ROWS = 6 };

size_t packed_gemm_panels(size_t n) { return (n + PANEL - 1) / PANEL; }

size_t packed_gemm_packed_count(size_t k, size_t n) { return packed_gemm_panels(n) * k * PANEL; }

void packed_gemm_pack(const float *b, size_t k, size_t n, size_t row_stride, size_t column_stride,
                      float *packed) {
    for (size_t panel = 0; panel < packed_gemm_panels(n); panel++) {
        size_t first = panel * PANEL;
        size_t width = n - first < PANEL ? n - first : PANEL;
        float *out = packed + panel * k * PANEL;
        for (size_t p = 0; p < k; p++) {
            const float *row = b + p * row_stride + first * column_stride;
            for (size_t j = 0; j < width; j++) out[p * PANEL + j] = row[j * column_stride];
            for (size_t j = width; j < PANEL; j++) out[p * PANEL + j] = 0;
        }
    }
}

/// Writes a block's results: c[r, j] = acc[r, j] + beta · c[r, j] for the first
/// `columns` columns of each of `rows` rows (acc rows are `stride` floats apart).
static void store_block(const float *acc, size_t stride, size_t rows, size_t columns, float beta, float *c,
                        size_t ldc) {
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < columns; j++) {
            float value = acc[r * stride + j];
            c[r * ldc + j] = beta == 0 ? value : value + beta * c[r * ldc + j];
        }
    }
}

/// Portable path: one panel, up to ROWS rows.
static void block_portable(size_t rows, size_t k, const float *a, size_t lda, const float *panel, float beta,
                           float *c, size_t ldc, size_t columns) {
    float acc[ROWS][PANEL];
    memset(acc, 0, sizeof acc);
    for (size_t p = 0; p < k; p++) {
        const float *b = panel + p * PANEL;
        for (size_t r = 0; r < rows; r++) {
            float x = a[r * lda + p];
            for (size_t j = 0; j < PANEL; j++) acc[r][j] += x * b[j];
        }
    }
    store_block(&acc[0][0], PANEL, rows, columns, beta, c, ldc);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/// AVX2 + FMA: one panel (two 8-float registers) by up to ROWS rows, 12 accumulators.
__attribute__((target("avx2,fma"), always_inline)) static inline void
block_avx2(size_t rows, size_t k, const float *a, size_t lda, const float *panel, float beta, float *c,
           size_t ldc, size_t columns) {
    __m256 acc[ROWS][2];
    for (size_t r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (size_t p = 0; p < k; p++) {
        __m256 b0 = _mm256_loadu_ps(panel + p * PANEL), b1 = _mm256_loadu_ps(panel + p * PANEL + 8);
        for (size_t r = 0; r < rows; r++) {
            __m256 x = _mm256_broadcast_ss(a + r * lda + p);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    if (columns == PANEL) {
        __m256 scale = _mm256_set1_ps(beta);
        for (size_t r = 0; r < rows; r++) {
            float *out = c + r * ldc;
            if (beta != 0) {
                acc[r][0] = _mm256_fmadd_ps(scale, _mm256_loadu_ps(out), acc[r][0]);
                acc[r][1] = _mm256_fmadd_ps(scale, _mm256_loadu_ps(out + 8), acc[r][1]);
            }
            _mm256_storeu_ps(out, acc[r][0]);
            _mm256_storeu_ps(out + 8, acc[r][1]);
        }
    } else {
        float spill[ROWS][PANEL];
        for (size_t r = 0; r < rows; r++) {
            _mm256_storeu_ps(spill[r], acc[r][0]);
            _mm256_storeu_ps(spill[r] + 8, acc[r][1]);
        }
        store_block(&spill[0][0], PANEL, rows, columns, beta, c, ldc);
    }
}

/// Calls BLOCK(r, ...) with r the literal row count (1 to ROWS, from `rows`), so that
/// each call is compiled with its loops over rows unrolled and accumulators in registers.
#define WITH_ROW_COUNT(rows, BLOCK, ...)           \
    switch (rows) {                                \
    case 6: BLOCK(6, __VA_ARGS__); break;          \
    case 5: BLOCK(5, __VA_ARGS__); break;          \
    case 4: BLOCK(4, __VA_ARGS__); break;          \
    case 3: BLOCK(3, __VA_ARGS__); break;          \
    case 2: BLOCK(2, __VA_ARGS__); break;          \
    default: BLOCK(1, __VA_ARGS__); break;         \
    }

__attribute__((target("avx2,fma"))) static void
panel_avx2(size_t m, size_t k, const float *a, size_t lda, const float *panel, float beta, float *c,
           size_t ldc, size_t columns) {
    for (size_t row = 0; row < m; row += ROWS) {
        size_t rows = m - row < ROWS ? m - row : ROWS;
        WITH_ROW_COUNT(rows, block_avx2, k, a + row * lda, lda, panel, beta, c + row * ldc, ldc, columns)
    }
}

/// AVX-512: two panels (32 columns) by up to ROWS rows, 12 accumulators; `panels` is 1
/// for a lone last panel.
__attribute__((target("avx512f"), always_inline)) static inline void
block_avx512(size_t rows, size_t panels, size_t k, const float *a, size_t lda, const float *panel, float beta,
             float *c, size_t ldc, size_t columns) {
    const float *second = panel + k * PANEL;
    __m512 acc[ROWS][2];
    for (size_t r = 0; r < ROWS; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (size_t p = 0; p < k; p++) {
        __m512 b0 = _mm512_loadu_ps(panel + p * PANEL);
        __m512 b1 = panels == 2 ? _mm512_loadu_ps(second + p * PANEL) : _mm512_setzero_ps();
        for (size_t r = 0; r < rows; r++) {
            __m512 x = _mm512_set1_ps(a[r * lda + p]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            if (panels == 2) acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    __m512 scale = _mm512_set1_ps(beta);
    for (size_t q = 0; q < panels; q++) {
        size_t valid = columns - q * PANEL < PANEL ? columns - q * PANEL : PANEL;
        __mmask16 mask = (__mmask16)((1u << valid) - 1);
        for (size_t r = 0; r < rows; r++) {
            float *out = c + r * ldc + q * PANEL;
            __m512 value = acc[r][q];
            if (beta != 0) value = _mm512_fmadd_ps(scale, _mm512_maskz_loadu_ps(mask, out), value);
            _mm512_mask_storeu_ps(out, mask, value);
        }
    }
}

__attribute__((target("avx512f"))) static void
panels_avx512(size_t m, size_t panels, size_t k, const float *a, size_t lda, const float *panel, float beta,
              float *c, size_t ldc, size_t columns) {
    for (size_t row = 0; row < m; row += ROWS) {
        size_t rows = m - row < ROWS ? m - row : ROWS;
        if (panels == 2) {
            WITH_ROW_COUNT(rows, block_avx512, 2, k, a + row * lda, lda, panel, beta, c + row * ldc, ldc, columns)
        } else {
            WITH_ROW_COUNT(rows, block_avx512, 1, k, a + row * lda, lda, panel, beta, c + row * ldc, ldc, columns)
        }
    }
}

static unsigned long long read_xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

packed_gemm_isa packed_gemm_best_isa(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return packed_gemm_portable;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1;
    if (!osxsave || __get_cpuid_max(0, 0) < 7) return packed_gemm_portable;
    unsigned long long xcr0 = read_xcr0();
    __cpuid_count(7, 0, a, b, c, d);
    int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1;
    if (avx512f && (xcr0 & 0xe6) == 0xe6) return packed_gemm_avx512;
    if (avx2 && fma && (xcr0 & 0x6) == 0x6) return packed_gemm_avx2;
    return packed_gemm_portable;
}
#else
packed_gemm_isa packed_gemm_best_isa(void) { return packed_gemm_portable; }
#endif

void packed_gemm_multiply(packed_gemm_isa isa, size_t m, size_t n, size_t k, const float *a, size_t lda,
                          const float *packed, float beta, float *c, size_t ldc,
                          size_t first_panel, size_t panel_count) {
    size_t end = first_panel + panel_count;
    for (size_t panel = first_panel; panel < end;) {
        const float *b = packed + panel * k * PANEL;
        float *out = c + panel * PANEL;
        size_t remaining = n - panel * PANEL;
#if defined(__x86_64__)
        if (isa == packed_gemm_avx512) {
            size_t panels = end - panel >= 2 ? 2 : 1;
            size_t columns = remaining < panels * PANEL ? remaining : panels * PANEL;
            panels_avx512(m, panels, k, a, lda, b, beta, out, ldc, columns);
            panel += panels;
            continue;
        }
        if (isa == packed_gemm_avx2) {
            panel_avx2(m, k, a, lda, b, beta, out, ldc, remaining < PANEL ? remaining : PANEL);
            panel += 1;
            continue;
        }
#endif
        for (size_t row = 0; row < m; row += ROWS) {
            size_t rows = m - row < ROWS ? m - row : ROWS;
            block_portable(rows, k, a + row * lda, lda, b, beta, out + row * ldc, ldc,
                           remaining < PANEL ? remaining : PANEL);
        }
        panel += 1;
    }
}
