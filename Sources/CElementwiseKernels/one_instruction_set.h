// One instruction set's copy of every element-wise kernel: elementwise_kernels.c includes
// this file once per instruction set, with TARGET (a function attribute) and NAME(f) (the
// suffixed name) defined. The kernels stay in one translation unit, in this order, so that
// the compiler inlines the shared helpers into each as it always has.
#include "vector_lanes.h"
#include "vector_math_body.h"
#include "dropout_mask_body.h"
#include "lstm_cell_body.h"
