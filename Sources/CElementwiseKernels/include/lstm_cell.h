#ifndef LSTM_CELL_H
#define LSTM_CELL_H
#include <stddef.h>
#include "ccpu.h"

/// The LSTM cell's element-wise step and its backward (LMNetwork's LSTMCellKernel runs
/// them: the fast twin of LSTMLayer.swift's plain Swift steps), compiled per instruction set as vector_math.h's kernels are (lstm_cell_body.h),
/// with the same exp, sigmoid and tanh, and chosen by `isa` at run time.

/// One LSTM step for one batch row of `size` units, PyTorch's gate order: `gates` [4 ·
/// size] plus `addend` [4 · size] (when not NULL: the biases, or a row of a projected
/// lookup table) are the pre-activations [i | f | g | o]; `gates` becomes the activations σ(i),
/// σ(f), tanh(g), σ(o); then cell ← σ(f)·previous_cell + σ(i)·tanh(g) and output ←
/// σ(o)·tanh(cell). With peephole weights (each [size], or NULL), i and f first add
/// ci·previous_cell and cf·previous_cell, and o adds co·cell.
void vector_lstm_forward(ccpu_isa isa, float *gates, const float *addend, const float *previous_cell,
                         float *cell, float *output, const float *ci, const float *cf, const float *co, size_t size);

/// The backward of vector_lstm_forward for one row: `gates` holds that step's
/// activations and becomes the pre-activation gradients [di | df | dg | do], in place.
/// The output gradient is upstream + carried_hidden; carried_cell holds dL/dcell from
/// the later step and becomes dL/dprevious_cell. tanh(cell) is recomputed.
void vector_lstm_backward(ccpu_isa isa, float *gates, const float *previous_cell, const float *cell,
                          const float *upstream, const float *carried_hidden, float *carried_cell, const float *ci,
                          const float *cf, const float *co, size_t size);

#endif
