#ifndef BF16_GEMM_H
#define BF16_GEMM_H
#include <stddef.h>
#include <stdint.h>

/// Matrix products with both operands rounded to bfloat16 and the products summed in
/// Float32, on AVX512_BF16's pair dot product (VDPBF16PS): `C[m, n] = round(A)[m, k] ·
/// W[n, k]ᵀ + beta · C`, W a weight matrix kept as bfloat16 (bf16_gemv.h's form: row
/// j holds output j's k weights). One instruction does 32 multiplications where a
/// Float32 FMA does 16, so products that run at the arithmetic's limit (a batch of 50 on
/// a 512-unit LSTM) can run up to twice as fast; the inputs' rounding is the price
/// (`lmtool eval --bf16` measures it).
///
/// Operands are stored as pairs: the 32-bit word p of a row holds its elements 2p (low
/// half) and 2p + 1 (high half), the last pair padded with zero when k is odd. The pair
/// step adds the odd product, then the even one, to each Float32 accumulator (products
/// of two bfloat16 are exact in Float32).

/// Whether this CPU and operating system run AVX512_BF16.
int bf16_gemm_supported(void);

/// out[i] = values[i] rounded to the nearest bfloat16 (as bf16_from_float), as a Float32;
/// out may be values.
void bf16_round(const float *values, size_t count, float *out);

/// Pairs per row of depth k: (k + 1) / 2.
size_t bf16_pair_count(size_t k);

/// 32-bit words bf16_pack_rows writes for m rows of depth k: strips of 12 rows.
size_t bf16_packed_rows_count(size_t m, size_t k);

/// Rounds A [m, k] (row length lda) to bfloat16 pairs in strips of 12 rows, the form
/// bf16_gemm_multiply_packed reads: row i's pair p at out[(i / 12) * 12 * pairs + p * 12 +
/// i % 12] (rounded to nearest, ties to even, as bf16_from_float).
void bf16_pack_rows(const float *a, size_t m, size_t k, size_t lda, uint32_t *out);

/// Rounds S [k, width] (row length ld), whose depth k runs down its rows, to pairs of rows
/// 2p and 2p + 1 in blocks of `block` columns: column c's pair p at out[(c / block) *
/// block * pairs + p * block + c % block], zero past width and for the missing row of an
/// odd k. With block 12 that is bf16_pack_rows's form of Sᵀ (a left operand), with block
/// 32 bf16_gemm_pack's form of Sᵀ as W (a right one): the operands of a weight gradient
/// dW = dYᵀ X, both stored down a window's rows. Writes pairs [first_pair, first_pair +
/// pair_count) only, so that ranges may be packed on different threads at once.
void bf16_pack_columns(const float *s, size_t k, size_t width, size_t ld, size_t block, size_t first_pair,
                       size_t pair_count, uint32_t *out);

/// 32-bit words the packed form of W [n, k] takes: tiles of 32 columns (outputs), tile t
/// holding for each pair p the pair p of its 32 rows of W (zero past n).
size_t bf16_gemm_packed_count(size_t k, size_t n);

/// Columns per packed tile (32).
size_t bf16_gemm_tile_columns(void);

/// Packs tiles [first_tile, first_tile + tile_count) of W [n, k], row length ldw.
/// Different tile ranges may be packed on different threads at once.
void bf16_gemm_pack(const uint16_t *w, size_t k, size_t n, size_t ldw, uint32_t *packed, size_t first_tile,
                    size_t tile_count);

/// C[m, n] = A · Wᵀ + beta · C for the columns of tiles [first_tile, first_tile +
/// tile_count); A from bf16_pack_rows, W packed by bf16_gemm_pack with the
/// same k and n, C row-major with row length ldc; beta = 0 ignores C's old contents.
/// Only where bf16_gemm_supported(). Different tile ranges may run on different threads
/// at once, and every element of C is computed the same way whatever the range.
void bf16_gemm_multiply_packed(size_t m, size_t n, size_t k, const uint32_t *a, const uint32_t *packed, float beta,
                               float *c, size_t ldc, size_t first_tile, size_t tile_count);

#endif
