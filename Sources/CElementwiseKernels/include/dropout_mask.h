#ifndef DROPOUT_MASK_H
#define DROPOUT_MASK_H
#include <stddef.h>
#include <stdint.h>
#include "ccpu.h"

/// Dropout's decisions, compiled per instruction set as vector_math.h's kernels are
/// (dropout_mask_body.h) and chosen by `isa` at run time.

/// Dropout's keep (1) or drop (0) decisions for elements first .. first + count - 1 of
/// one mask, into mask[0 .. count - 1]: element j is dropped when the top 24 bits of
/// SplitMix64's output for the counter key + (j + 1) · 0x9E3779B97F4A7C15 are below
/// `threshold` (⌈p · 2²⁴⌉ drops with probability p). Counter-based: each decision depends
/// on key and j alone, so any split of a mask between threads, and every instruction
/// set, gives the same mask.
void vector_dropout_mask(ccpu_isa isa, uint8_t *mask, size_t first, size_t count, uint64_t key,
                         uint32_t threshold);

#endif
