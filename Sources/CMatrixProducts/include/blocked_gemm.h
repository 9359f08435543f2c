#ifndef BLOCKED_GEMM_H
#define BLOCKED_GEMM_H
#include <stddef.h>
#include "ccpu.h"

/// A general single-threaded matrix product, cache-blocked in the manner of BLIS and
/// GotoBLAS: `C[m, n] = alpha · op(A) · op(B) + beta · C`.
///
/// op(A) is [m, k] with element (i, p) at a[i * a_row + p * a_column]; op(B) is [k, n]
/// with element (p, j) at b[p * b_row + j * b_column]; so a row-major [m, k] A is
/// (a_row = lda, a_column = 1) and its transpose (a_row = 1, a_column = lda). C is
/// row-major with row length ldc; beta = 0 ignores C's old contents (NaN included).
///
/// Blocks of op(B) (BLOCKED_GEMM_DEPTH rows by up to BLOCKED_GEMM_WIDTH columns) and of
/// op(A) (up to BLOCKED_GEMM_HEIGHT rows by BLOCKED_GEMM_DEPTH) are copied into
/// contiguous micro-panels, and a register-blocked micro-kernel (AVX-512: 12 rows by 32
/// columns, 24 accumulators; AVX2: 6 by 16, 12 accumulators; portable C: 4 by 16) walks
/// them. Every element of C is the same sequence of operations whatever part of C the
/// call covers, so splitting one product into blocks of rows or columns (one per thread)
/// gives results identical to one call. Scratch space is per thread, grown on demand and
/// kept until the thread ends.
///
/// Written because Debian's OpenBLAS 0.3.21 reaches about half of an AVX-512 core's
/// peak on the shapes recurrent models run (BENCHMARKS.md); `lmtool bench blas` compares
/// the two on every machine.

enum {
    BLOCKED_GEMM_DEPTH = 256,   // k per block: a B micro-panel (256 x 32 floats, 32 KB) stays in L1
    BLOCKED_GEMM_HEIGHT = 240,  // rows of A per block (240 KB): stays in L2
    BLOCKED_GEMM_WIDTH = 2048,  // columns of B per block (2 MB)
    BLOCKED_GEMM_DIRECT_GROUP = 8,  // packed tiles per pass of blocked_gemm_multiply_packed_direct
    BLOCKED_GEMM_TALL_HEIGHT = 120,  // rows of A per pass of blocked_gemm_multiply_packed_tall (240 KB at k = 512)
    BLOCKED_GEMM_TALL_DEPTH = 512,   // k per pass: a tile's rows (64 KB) stay in L2, a strip of A (24 KB) in L1
};

void blocked_gemm(ccpu_isa isa, size_t m, size_t n, size_t k, float alpha, const float *a, size_t a_row,
                  size_t a_column, const float *b, size_t b_row, size_t b_column, float beta, float *c,
                  size_t ldc);

/// A right-hand matrix packed once for many products with thin left-hand matrices: the
/// recurrent step `h_{t-1} W_hh^T` of every cell, where the same weight multiplies a
/// [B, H] matrix at each of a window's T steps. blocked_gemm (and OpenBLAS) would copy
/// the weight again at every call; here it is packed once per window, whole (no depth
/// blocking), into tiles of blocked_gemm_tile_columns(isa) columns, tile t holding rows
/// 0..k-1 of its columns, each row's values contiguous (zero past n).

/// Columns per packed tile.
size_t blocked_gemm_tile_columns(ccpu_isa isa);

/// Floats the packed form of op(B) [k, n] takes.
size_t blocked_gemm_packed_count(ccpu_isa isa, size_t k, size_t n);

/// Packs tiles [first_tile, first_tile + tile_count) of op(B) [k, n], whose element
/// (p, j) is b[p * row_stride + j * column_stride]. Different tile ranges may be packed
/// on different threads at once.
void blocked_gemm_pack(ccpu_isa isa, const float *b, size_t k, size_t n, size_t row_stride,
                       size_t column_stride, float *packed, size_t first_tile, size_t tile_count);

/// C[m, n] = A[m, k] · B + beta · C for the columns of tiles [first_tile, first_tile +
/// tile_count), B packed by blocked_gemm_pack with the same isa, k and n; A and C
/// row-major with row lengths lda and ldc. Different tile ranges may run on different
/// threads at once. A's rows are taken in strips of even height, each strip over one tile
/// at a time; on AVX-512 the micro-kernel broadcasts A's elements from its rows (no copy,
/// which each thread of a split product would make of all of A), elsewhere from a copy.
void blocked_gemm_multiply_packed(ccpu_isa isa, size_t m, size_t n, size_t k, const float *a, size_t lda,
                                  const float *packed, float beta, float *c, size_t ldc, size_t first_tile,
                                  size_t tile_count);

/// blocked_gemm_multiply_packed for a left-hand matrix much taller than the calls' usual
/// batch, such as blocks of the decoder's weight against a window's packed hidden states.
/// On AVX-512 the tiles are taken BLOCKED_GEMM_DIRECT_GROUP at a time (8 x 32 columns of
/// depth k; 666 KB at k = 650) so that B stays in L2 while every strip of A's rows passes
/// over it, A read where it lies; elsewhere this is blocked_gemm_multiply_packed. Every
/// element of C is computed the same way whatever the tile range.
void blocked_gemm_multiply_packed_direct(ccpu_isa isa, size_t m, size_t n, size_t k, const float *a,
                                           size_t lda, const float *packed, float beta, float *c, size_t ldc,
                                           size_t first_tile, size_t tile_count);

/// blocked_gemm_multiply_packed over all of B's tiles for a tall A: a window's rows
/// rather than one step's batch, such as the input product `X W_ih^T` of all T·B rows or
/// its gradient `dG W_ih`. On AVX-512, A's rows are taken BLOCKED_GEMM_TALL_HEIGHT at a
/// time (they stay in L2 while every tile passes), A read where it lies, and the depth
/// BLOCKED_GEMM_TALL_DEPTH at a time (C adds each part); elsewhere this is
/// blocked_gemm_multiply_packed. Every element of C is computed the same way whatever
/// rows the call covers, so splitting A's rows between threads gives identical results.
void blocked_gemm_multiply_packed_tall(ccpu_isa isa, size_t m, size_t n, size_t k, const float *a, size_t lda,
                                       const float *packed, float beta, float *c, size_t ldc);

#endif
