#include "blocked_gemm.h"
#include "kernel_rows.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { DEPTH = BLOCKED_GEMM_DEPTH, HEIGHT = BLOCKED_GEMM_HEIGHT, WIDTH = BLOCKED_GEMM_WIDTH };

/// Micro-tile of each instruction set: rows of A by columns of B per kernel call.
typedef struct {
    size_t rows, columns;
} tile_shape;

static tile_shape tile_for(ccpu_isa isa) {
    switch (isa) {
    case ccpu_isa_avx512: return (tile_shape){12, 32};
    case ccpu_isa_avx2: return (tile_shape){6, 16};
    default: return (tile_shape){4, 16};
    }
}

// MARK: - Scratch space

/// One thread's packed blocks of A and B.
typedef struct {
    float *a, *b;
    size_t a_count, b_count;
} scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *pointer) {
    scratch *s = pointer;
    free(s->a);
    free(s->b);
    free(s);
}

static void scratch_make_key(void) { pthread_key_create(&scratch_key, scratch_free); }

/// Grows `*buffer` to hold `count` floats, 64-byte aligned; false when memory runs out.
static int reserve(float **buffer, size_t *capacity, size_t count) {
    if (*capacity >= count) return 1;
    void *grown = NULL;
    if (posix_memalign(&grown, 64, count * sizeof(float)) != 0) return 0;
    free(*buffer);
    *buffer = grown;
    *capacity = count;
    return 1;
}

static scratch *scratch_for_thread(size_t a_count, size_t b_count) {
    pthread_once(&scratch_once, scratch_make_key);
    scratch *s = pthread_getspecific(scratch_key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) return NULL;
        pthread_setspecific(scratch_key, s);
    }
    if (!reserve(&s->a, &s->a_count, a_count) || !reserve(&s->b, &s->b_count, b_count)) return NULL;
    return s;
}

// MARK: - Packing

#if defined(__x86_64__)
#include <immintrin.h>

/// dst[q * dst_stride + i] = scale · src[i * src_stride + q] for an 8 x 8 block.
__attribute__((target("avx2"))) static void transpose_8x8(const float *src, size_t src_stride, float scale,
                                                          float *dst, size_t dst_stride) {
    __m256 r[8], t[8], u[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * src_stride);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    __m256 factor = _mm256_set1_ps(scale);
    for (int q = 0; q < 4; q++) {
        _mm256_storeu_ps(dst + q * dst_stride, _mm256_mul_ps(factor, _mm256_permute2f128_ps(u[q], u[q + 4], 0x20)));
        _mm256_storeu_ps(dst + (q + 4) * dst_stride,
                         _mm256_mul_ps(factor, _mm256_permute2f128_ps(u[q], u[q + 4], 0x31)));
    }
}
#endif

/// Copies a strip of `count` (at most `tile`) source rows, `depth` values each, into
/// [depth][tile]: out[p * tile + i] = scale · src[i * stride + p], zero for i ≥ count. Both
/// operands' tiles are such strips when the source runs along k (row-major A, B stored
/// transposed); 8 x 8 blocks go through vector registers.
static void pack_strip(ccpu_isa isa, const float *src, size_t stride, size_t count, size_t depth, size_t tile,
                       float scale, float *out) {
    size_t blocked_rows = 0, blocked_depth = 0;
#if defined(__x86_64__)
    if (isa != ccpu_isa_portable) {
        blocked_rows = count / 8 * 8;
        blocked_depth = depth / 8 * 8;
        for (size_t i = 0; i < blocked_rows; i += 8)
            for (size_t p = 0; p < blocked_depth; p += 8)
                transpose_8x8(src + i * stride + p, stride, scale, out + p * tile + i, tile);
    }
#endif
    for (size_t i = 0; i < blocked_rows; i++)
        for (size_t p = blocked_depth; p < depth; p++) out[p * tile + i] = scale * src[i * stride + p];
    for (size_t i = blocked_rows; i < count; i++)
        for (size_t p = 0; p < depth; p++) out[p * tile + i] = scale * src[i * stride + p];
    for (size_t p = 0; p < depth; p++)
        for (size_t i = count; i < tile; i++) out[p * tile + i] = 0;
}

/// Copies op(B)[p0 .. p0+depth, j0 .. j0+width] into tiles of `tile` columns: tile t holds
/// rows 0..depth-1 of its columns, each row's `tile` values contiguous (zero past width).
static void pack_b(ccpu_isa isa, const float *b, size_t b_row, size_t b_column, size_t p0, size_t depth,
                   size_t j0, size_t width, size_t tile, float *packed) {
    for (size_t first = 0; first < width; first += tile) {
        size_t columns = width - first < tile ? width - first : tile;
        float *out = packed + first * depth;
        const float *source = b + p0 * b_row + (j0 + first) * b_column;
        if (b_column == 1) {
            for (size_t p = 0; p < depth; p++) {
                memcpy(out + p * tile, source + p * b_row, columns * sizeof(float));
                memset(out + p * tile + columns, 0, (tile - columns) * sizeof(float));
            }
        } else if (b_row == 1) {
            pack_strip(isa, source, b_column, columns, depth, tile, 1, out);
        } else {
            for (size_t p = 0; p < depth; p++) {
                for (size_t j = 0; j < columns; j++) out[p * tile + j] = source[p * b_row + j * b_column];
                for (size_t j = columns; j < tile; j++) out[p * tile + j] = 0;
            }
        }
    }
}

/// Copies alpha · op(A)[i0 .. i0+height, p0 .. p0+depth] into strips of `tile` rows (the
/// last one shorter when height is not a multiple): strip s starts at packed + s · tile ·
/// depth and holds, for each p, its rows' values contiguous, with no padding (the
/// micro-kernels read a strip of n rows with stride n).
static void pack_a(ccpu_isa isa, const float *a, size_t a_row, size_t a_column, float alpha, size_t i0,
                   size_t height, size_t p0, size_t depth, size_t tile, float *packed) {
    for (size_t first = 0; first < height; first += tile) {
        size_t rows = height - first < tile ? height - first : tile;
        float *out = packed + first * depth;
        const float *source = a + (i0 + first) * a_row + p0 * a_column;
        if (a_column == 1) {
            pack_strip(isa, source, a_row, rows, depth, rows, alpha, out);
            continue;
        }
        for (size_t p = 0; p < depth; p++)
            for (size_t r = 0; r < rows; r++) out[p * rows + r] = alpha * source[r * a_row + p * a_column];
    }
}

// MARK: - Micro-kernels
// Each computes one tile: C[rows, columns] = Ap · Bp + beta · C over `depth` steps, Ap
// [depth][rows], Bp [depth][tile columns]; rows and columns may fall short of the tile at
// the edges of C.

static void kernel_portable(size_t rows, size_t columns, size_t depth, const float *ap, const float *bp, float beta,
                            float *c, size_t ldc) {
    enum { R = 4, N = 16 };
    float acc[R][N];
    memset(acc, 0, sizeof acc);
    for (size_t p = 0; p < depth; p++)
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < N; j++) acc[r][j] += ap[p * rows + r] * bp[p * N + j];
    for (size_t r = 0; r < rows; r++)
        for (size_t j = 0; j < columns; j++)
            c[r * ldc + j] = beta == 0 ? acc[r][j] : acc[r][j] + beta * c[r * ldc + j];
}

#if defined(__x86_64__)
/// 12 x 32: 24 accumulators, two loads of B and twelve broadcasts of A per step. A's
/// element (r, p) is ap[r * a_row + p * a_depth]: packed (1, rows), or in place (lda, 1).
__attribute__((target("avx512f"), always_inline)) static inline void
kernel_avx512_strided(size_t rows, size_t columns, size_t depth, const float *ap, size_t a_row, size_t a_depth,
                      const float *bp, float beta, float *c, size_t ldc) {
    enum { R = 12, N = 32 };
    __m512 acc[R][2];
    // C's rows are far apart: fetch them while the products run.
    for (size_t r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + 16), _MM_HINT_T0);
    }
    for (size_t r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    for (size_t p = 0; p < depth; p++) {
        __m512 b0 = _mm512_loadu_ps(bp + p * N), b1 = _mm512_loadu_ps(bp + p * N + 16);
        for (size_t r = 0; r < rows; r++) {
            __m512 x = _mm512_set1_ps(ap[r * a_row + p * a_depth]);
            acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    store_tile_avx512(rows, columns, acc, beta, c, ldc);
}

__attribute__((target("avx512f"), always_inline)) static inline void
kernel_avx512_rows(size_t rows, size_t columns, size_t depth, const float *ap, const float *bp, float beta, float *c,
                   size_t ldc) {
    kernel_avx512_strided(rows, columns, depth, ap, 1, rows, bp, beta, c, ldc);
}

/// 6 x 16: 12 accumulators, two loads of B and six broadcasts of A per step.
__attribute__((target("avx2,fma"), always_inline)) static inline void
kernel_avx2_rows(size_t rows, size_t columns, size_t depth, const float *ap, const float *bp, float beta, float *c,
                 size_t ldc) {
    enum { R = 6, N = 16 };
    __m256 acc[R][2];
    for (size_t r = 0; r < rows; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (size_t p = 0; p < depth; p++) {
        __m256 b0 = _mm256_loadu_ps(bp + p * N), b1 = _mm256_loadu_ps(bp + p * N + 8);
        for (size_t r = 0; r < rows; r++) {
            __m256 x = _mm256_broadcast_ss(ap + p * rows + r);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    if (columns == N) {
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
        return;
    }
    float spill[R][N];
    for (size_t r = 0; r < rows; r++) {
        _mm256_storeu_ps(spill[r], acc[r][0]);
        _mm256_storeu_ps(spill[r] + 8, acc[r][1]);
        for (size_t j = 0; j < columns; j++)
            c[r * ldc + j] = beta == 0 ? spill[r][j] : spill[r][j] + beta * c[r * ldc + j];
    }
}

__attribute__((target("avx512f"))) static void kernel_avx512(size_t rows, size_t columns, size_t depth,
                                                              const float *ap, const float *bp, float beta, float *c,
                                                              size_t ldc) {
    switch (rows) { UP_TO_12_ROWS(kernel_avx512_rows) }
}

/// The 12 x 32 kernel reading A where it lies, row-major with row length lda.
#define KERNEL_AVX512_DIRECT(n, columns, depth, a, bp, beta, c, ldc) \
    kernel_avx512_strided(n, columns, depth, a, lda, 1, bp, beta, c, ldc)
__attribute__((target("avx512f"))) static void kernel_avx512_direct(size_t rows, size_t columns, size_t depth,
                                                                     const float *ap, size_t lda, const float *bp,
                                                                     float beta, float *c, size_t ldc) {
    switch (rows) { UP_TO_12_ROWS(KERNEL_AVX512_DIRECT) }
}

__attribute__((target("avx2,fma"))) static void kernel_avx2(size_t rows, size_t columns, size_t depth,
                                                            const float *ap, const float *bp, float beta, float *c,
                                                            size_t ldc) {
    switch (rows) { UP_TO_6_ROWS(kernel_avx2_rows) }
}
#endif

typedef void (*micro_kernel)(size_t rows, size_t columns, size_t depth, const float *ap, const float *bp, float beta,
                             float *c, size_t ldc);

static micro_kernel kernel_for(ccpu_isa isa) {
#if defined(__x86_64__)
    if (isa == ccpu_isa_avx512) return kernel_avx512;
    if (isa == ccpu_isa_avx2) return kernel_avx2;
#endif
    return kernel_portable;
}

// MARK: - The product

static void scale_c(size_t m, size_t n, float beta, float *c, size_t ldc) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
}

void blocked_gemm(ccpu_isa isa, size_t m, size_t n, size_t k, float alpha, const float *a, size_t a_row,
                  size_t a_column, const float *b, size_t b_row, size_t b_column, float beta, float *c,
                  size_t ldc) {
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    tile_shape tile = tile_for(isa);
    micro_kernel kernel = kernel_for(isa);
    size_t width = n < WIDTH ? n : WIDTH, height = m < HEIGHT ? m : HEIGHT, depth = k < DEPTH ? k : DEPTH;
    size_t b_count = (width + tile.columns - 1) / tile.columns * tile.columns * depth;
    size_t a_count = (height + tile.rows - 1) / tile.rows * tile.rows * depth;
    scratch *s = scratch_for_thread(a_count, b_count);
    if (!s) abort();  // a few megabytes; the caller's own buffers are far larger
    for (size_t j0 = 0; j0 < n; j0 += WIDTH) {
        size_t block_width = n - j0 < WIDTH ? n - j0 : WIDTH;
        for (size_t p0 = 0; p0 < k; p0 += DEPTH) {
            size_t block_depth = k - p0 < DEPTH ? k - p0 : DEPTH;
            float block_beta = p0 == 0 ? beta : 1;
            pack_b(isa, b, b_row, b_column, p0, block_depth, j0, block_width, tile.columns, s->b);
            for (size_t i0 = 0; i0 < m; i0 += HEIGHT) {
                size_t block_height = m - i0 < HEIGHT ? m - i0 : HEIGHT;
                pack_a(isa, a, a_row, a_column, alpha, i0, block_height, p0, block_depth, tile.rows, s->a);
                for (size_t j = 0; j < block_width; j += tile.columns) {
                    size_t columns = block_width - j < tile.columns ? block_width - j : tile.columns;
                    const float *bp = s->b + j * block_depth;
                    for (size_t i = 0; i < block_height; i += tile.rows) {
                        size_t rows = block_height - i < tile.rows ? block_height - i : tile.rows;
                        kernel(rows, columns, block_depth, s->a + i * block_depth, bp, block_beta,
                               c + (i0 + i) * ldc + j0 + j, ldc);
                    }
                }
            }
        }
    }
}

// MARK: - A right-hand matrix packed once

size_t blocked_gemm_tile_columns(ccpu_isa isa) { return tile_for(isa).columns; }

size_t blocked_gemm_packed_count(ccpu_isa isa, size_t k, size_t n) {
    size_t tile = tile_for(isa).columns;
    return (n + tile - 1) / tile * tile * k;
}

void blocked_gemm_pack(ccpu_isa isa, const float *b, size_t k, size_t n, size_t row_stride,
                       size_t column_stride, float *packed, size_t first_tile, size_t tile_count) {
    size_t tile = tile_for(isa).columns, first = first_tile * tile;
    if (tile_count == 0 || first >= n) return;
    size_t end = (first_tile + tile_count) * tile;
    pack_b(isa, b, row_stride, column_stride, 0, k, first, (end < n ? end : n) - first, tile, packed + first * k);
}

void blocked_gemm_multiply_packed(ccpu_isa isa, size_t m, size_t n, size_t k, const float *a, size_t lda,
                                  const float *packed, float beta, float *c, size_t ldc, size_t first_tile,
                                  size_t tile_count) {
    if (m == 0 || tile_count == 0) return;
    tile_shape tile = tile_for(isa);
    if (k == 0) {
        size_t first = first_tile * tile.columns, end = (first_tile + tile_count) * tile.columns;
        scale_c(m, (end < n ? end : n) - first, beta, c + first, ldc);
        return;
    }
    // A's rows in as few strips as the tile allows, of even heights (50 rows: five strips
    // of 10, not four of 12 and one of 2, whose kernel would run at a fraction of its speed).
    size_t strips = (m + tile.rows - 1) / tile.rows;
    // On AVX-512, A is read where it lies: its broadcasts cost the same from its rows as
    // from a packed copy, and each thread of a split product would copy all of A.
    int in_place = 0;
#if defined(__x86_64__)
    in_place = isa == ccpu_isa_avx512;
#endif
    micro_kernel kernel = kernel_for(isa);
    scratch *s = NULL;
    if (!in_place) {
        s = scratch_for_thread(strips * tile.rows * k, 0);
        if (!s) abort();
        for (size_t strip = 0; strip < strips; strip++) {
            size_t start = m * strip / strips, end = m * (strip + 1) / strips;
            pack_a(isa, a, lda, 1, 1, start, end - start, 0, k, tile.rows, s->a + strip * tile.rows * k);
        }
    }
    for (size_t t = first_tile; t < first_tile + tile_count; t++) {
        size_t j = t * tile.columns;
        size_t columns = n - j < tile.columns ? n - j : tile.columns;
        for (size_t strip = 0; strip < strips; strip++) {
            size_t start = m * strip / strips, end = m * (strip + 1) / strips;
            float *out = c + start * ldc + j;
#if defined(__x86_64__)
            if (in_place) {
                kernel_avx512_direct(end - start, columns, k, a + start * lda, lda, packed + j * k, beta, out, ldc);
                continue;
            }
#endif
            kernel(end - start, columns, k, s->a + strip * tile.rows * k, packed + j * k, beta, out, ldc);
        }
    }
}

void blocked_gemm_multiply_packed_direct(ccpu_isa isa, size_t m, size_t n, size_t k, const float *a,
                                           size_t lda, const float *packed, float beta, float *c, size_t ldc,
                                           size_t first_tile, size_t tile_count) {
#if defined(__x86_64__)
    if (isa == ccpu_isa_avx512 && m > 0 && k > 0) {
        enum { ROWS = 12, COLUMNS = 32, GROUP = BLOCKED_GEMM_DIRECT_GROUP };
        // A group of B's tiles stays in L2 while every strip of A's rows passes over it.
        for (size_t g = first_tile; g < first_tile + tile_count; g += GROUP) {
            size_t group_end = g + GROUP < first_tile + tile_count ? g + GROUP : first_tile + tile_count;
            for (size_t i = 0; i < m; i += ROWS) {
                size_t rows = m - i < ROWS ? m - i : ROWS;
                for (size_t t = g; t < group_end; t++) {
                    size_t j = t * COLUMNS;
                    size_t columns = n - j < COLUMNS ? n - j : COLUMNS;
                    kernel_avx512_direct(rows, columns, k, a + i * lda, lda, packed + j * k, beta, c + i * ldc + j,
                                           ldc);
                }
            }
        }
        return;
    }
#endif
    blocked_gemm_multiply_packed(isa, m, n, k, a, lda, packed, beta, c, ldc, first_tile, tile_count);
}

void blocked_gemm_multiply_packed_tall(ccpu_isa isa, size_t m, size_t n, size_t k, const float *a, size_t lda,
                                       const float *packed, float beta, float *c, size_t ldc) {
    size_t tiles = (n + tile_for(isa).columns - 1) / tile_for(isa).columns;
#if defined(__x86_64__)
    if (isa == ccpu_isa_avx512 && k > 0) {
        enum { ROWS = 12, COLUMNS = 32, HEIGHT = BLOCKED_GEMM_TALL_HEIGHT, DEPTH = BLOCKED_GEMM_TALL_DEPTH };
        for (size_t i0 = 0; i0 < m; i0 += HEIGHT) {
            size_t height = m - i0 < HEIGHT ? m - i0 : HEIGHT;
            // Strips of even heights, as in blocked_gemm_multiply_packed.
            size_t strips = (height + ROWS - 1) / ROWS;
            for (size_t p0 = 0; p0 < k; p0 += DEPTH) {
                size_t depth = k - p0 < DEPTH ? k - p0 : DEPTH;
                float block_beta = p0 == 0 ? beta : 1;
                for (size_t t = 0; t < tiles; t++) {
                    size_t j = t * COLUMNS;
                    size_t columns = n - j < COLUMNS ? n - j : COLUMNS;
                    for (size_t strip = 0; strip < strips; strip++) {
                        size_t start = i0 + height * strip / strips, end = i0 + height * (strip + 1) / strips;
                        kernel_avx512_direct(end - start, columns, depth, a + start * lda + p0, lda,
                                             packed + j * k + p0 * COLUMNS, block_beta, c + start * ldc + j, ldc);
                    }
                }
            }
        }
        return;
    }
#endif
    blocked_gemm_multiply_packed(isa, m, n, k, a, lda, packed, beta, c, ldc, 0, tiles);
}
