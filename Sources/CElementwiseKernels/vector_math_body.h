// vector_math.h's kernels: one instruction set's copy, included by one_instruction_set.h
// after vector_lanes.h (whose helpers it uses).

TARGET static void NAME(sigmoid)(float *x, size_t count) {
    for (size_t i = 0; i < count; i += 16) {
        size_t left = count - i;
        NAME(store)(x + i, NAME(sigmoid1)(NAME(load)(x + i, left, 0)), left);
    }
}

TARGET static void NAME(tanh)(float *x, size_t count) {
    for (size_t i = 0; i < count; i += 16) {
        size_t left = count - i;
        NAME(store)(x + i, NAME(tanh1)(NAME(load)(x + i, left, 0)), left);
    }
}

TARGET static float NAME(maximum)(const float *x, size_t count) {
    v16f best = (v16f){} - INFINITY;
    for (size_t i = 0; i < count; i += 16) {
        v16f v = NAME(load)(x + i, count - i, -INFINITY);
        best = NAME(select)(v > best, v, best);
    }
    float result = -INFINITY;
    for (int i = 0; i < 16; i++) result = best[i] > result ? best[i] : result;
    return result;
}

/// Σ e^{(x - shift) · scale} in Float64, each term also written to `out` unless it is NULL.
TARGET static double NAME(exp_sum)(const float *x, float *out, size_t count, float shift, float scale) {
    v8d sum = {0};
    for (size_t i = 0; i < count; i += 16) {
        size_t left = count - i;
        v16f e = NAME(exp)((NAME(load)(x + i, left, shift) - shift) * scale);
        if (out) NAME(store)(out + i, e, left);
        if (left < 16) e = NAME(select)(NAME(lanes_below)(left), e, (v16f){});
        sum = NAME(add_to_double)(sum, e);
    }
    double total = 0;
    for (int i = 0; i < 8; i++) total += sum[i];
    return total;
}

TARGET static double NAME(sum_exp)(const float *x, size_t count, float shift, float scale) {
    return NAME(exp_sum)(x, NULL, count, shift, scale);
}

TARGET static double NAME(exponentiate)(float *x, size_t count, float shift) {
    return NAME(exp_sum)(x, x, count, shift, 1);
}

TARGET static void NAME(scale)(float *x, size_t count, float scale) {
    for (size_t i = 0; i < count; i += 16) {
        size_t left = count - i;
        NAME(store)(x + i, NAME(load)(x + i, left, 0) * scale, left);
    }
}

TARGET static void NAME(add)(float *y, const float *x, size_t count) {
    for (size_t i = 0; i < count; i += 16) {
        size_t left = count - i;
        NAME(store)(y + i, NAME(load)(y + i, left, 0) + NAME(load)(x + i, left, 0), left);
    }
}

TARGET static void NAME(column_log_sum_exp)(const float *x, size_t rows, size_t columns, size_t ld, float *maxima,
                                            double *sums) {
    for (size_t j = 0; j < columns; j += 16) {
        size_t left = columns - j;
        v16f best = (v16f){} - INFINITY;
        for (size_t r = 0; r < rows; r++) {
            v16f v = NAME(load)(x + r * ld + j, left, -INFINITY);
            best = NAME(select)(v > best, v, best);
        }
        v8d low = {0}, high = {0};
        for (size_t r = 0; r < rows; r++) {
            v16f e = NAME(exp)(NAME(load)(x + r * ld + j, left, 0) - best);
            low += __builtin_convertvector(__builtin_shufflevector(e, e, 0, 1, 2, 3, 4, 5, 6, 7), v8d);
            high += __builtin_convertvector(__builtin_shufflevector(e, e, 8, 9, 10, 11, 12, 13, 14, 15), v8d);
        }
        for (size_t i = 0; i < 16 && i < left; i++) {
            maxima[j + i] = best[i];
            sums[j + i] = i < 8 ? low[i] : high[i - 8];
        }
    }
}
