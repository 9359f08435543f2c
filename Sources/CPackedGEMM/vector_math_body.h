// One instruction set's copy of the element-wise kernels: vector_math.c includes this
// file once per instruction set, with TARGET (a function attribute) and NAME(f) (the
// suffixed name) defined. Written with the compiler's generic vectors of 16 floats, which
// become one AVX-512 register, two AVX registers or four SSE registers.

TARGET static inline v16f NAME(load)(const float *x, size_t count, float fill) {
    v16f v;
    if (count >= 16) {
        memcpy(&v, x, sizeof v);
        return v;
    }
    for (size_t i = 0; i < 16; i++) v[i] = i < count ? x[i] : fill;
    return v;
}

TARGET static inline void NAME(store)(float *x, v16f v, size_t count) {
    if (count >= 16) {
        memcpy(x, &v, sizeof v);
        return;
    }
    for (size_t i = 0; i < count; i++) x[i] = v[i];
}

TARGET static inline v16f NAME(select)(v16i mask, v16f yes, v16f no) {
    return (v16f)((mask & (v16i)yes) | (~mask & (v16i)no));
}

TARGET static inline v16f NAME(exp)(v16f x) {
    // Clamped so that NaN passes: a comparison with NaN is false.
    x = NAME(select)(x < -87.3f, (v16f){} - 87.3f, x);
    x = NAME(select)(x > 88.3f, (v16f){} + 88.3f, x);
    // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits.
    const float magic = 12582912.0f;
    v16f shifted = x * 1.44269504088896341f + magic;
    v16f n = shifted - magic;
    v16f r = x - n * 0.693359375f + n * 2.12194440e-4f;
    v16f p = (v16f){} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    // n + 127 shifted into the exponent field is 2ⁿ.
    v16i power = ((v16i)shifted + 127) << 23;
    return p * (v16f)power;
}

TARGET static inline v16f NAME(sigmoid1)(v16f x) { return 1.0f / (1.0f + NAME(exp)(-x)); }

TARGET static inline v16f NAME(tanh1)(v16f x) {
    v16i negative = x < 0.0f;
    v16f magnitude = NAME(select)(negative, -x, x);
    v16f z = x * x;
    v16f p = (v16f){} - 5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    v16f small = x + x * z * p;
    v16f large = 1.0f - 2.0f / (NAME(exp)(2.0f * magnitude) + 1.0f);
    large = NAME(select)(negative, -large, large);
    return NAME(select)(magnitude >= 0.625f, large, small);
}

/// Lanes 0 ..< count set (all ones), the rest clear.
TARGET static inline v16i NAME(lanes_below)(size_t count) {
    const v16i lanes = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    return lanes < (int)count;
}

/// Adds the 16 lanes of `v` into 8 Float64 lanes.
TARGET static inline v8d NAME(add_to_double)(v8d sum, v16f v) {
    v8f low = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
    v8f high = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    return sum + __builtin_convertvector(low, v8d) + __builtin_convertvector(high, v8d);
}

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

TARGET static void NAME(dropout_mask)(uint8_t *mask, size_t first, size_t count, uint64_t key, uint32_t threshold) {
    for (size_t i = 0; i < count; i++) {
        uint64_t z = key + (uint64_t)(first + i + 1) * 0x9E3779B97F4A7C15u;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
        z ^= z >> 31;
        mask[i] = (uint32_t)(z >> 40) >= threshold;
    }
}

TARGET static void NAME(lstm_forward)(float *gates, const float *addend, const float *previous_cell, float *cell,
                                      float *output, const float *ci, const float *cf, const float *co, size_t size) {
    for (size_t j = 0; j < size; j += 16) {
        size_t left = size - j;
        v16f previous = NAME(load)(previous_cell + j, left, 0);
        v16f i = NAME(load)(gates + j, left, 0);
        v16f f = NAME(load)(gates + size + j, left, 0);
        v16f g = NAME(load)(gates + 2 * size + j, left, 0);
        v16f o = NAME(load)(gates + 3 * size + j, left, 0);
        if (addend) {
            i += NAME(load)(addend + j, left, 0);
            f += NAME(load)(addend + size + j, left, 0);
            g += NAME(load)(addend + 2 * size + j, left, 0);
            o += NAME(load)(addend + 3 * size + j, left, 0);
        }
        if (ci) i += NAME(load)(ci + j, left, 0) * previous;
        if (cf) f += NAME(load)(cf + j, left, 0) * previous;
        i = NAME(sigmoid1)(i);
        f = NAME(sigmoid1)(f);
        g = NAME(tanh1)(g);
        v16f c = f * previous + i * g;
        if (co) o += NAME(load)(co + j, left, 0) * c;
        o = NAME(sigmoid1)(o);
        NAME(store)(gates + j, i, left);
        NAME(store)(gates + size + j, f, left);
        NAME(store)(gates + 2 * size + j, g, left);
        NAME(store)(gates + 3 * size + j, o, left);
        NAME(store)(cell + j, c, left);
        NAME(store)(output + j, o * NAME(tanh1)(c), left);
    }
}

TARGET static void NAME(lstm_backward)(float *gates, const float *previous_cell, const float *cell,
                                       const float *upstream, const float *carried_hidden, float *carried_cell,
                                       const float *ci, const float *cf, const float *co, size_t size) {
    for (size_t j = 0; j < size; j += 16) {
        size_t left = size - j;
        v16f i = NAME(load)(gates + j, left, 0);
        v16f f = NAME(load)(gates + size + j, left, 0);
        v16f g = NAME(load)(gates + 2 * size + j, left, 0);
        v16f o = NAME(load)(gates + 3 * size + j, left, 0);
        v16f tanh_cell = NAME(tanh1)(NAME(load)(cell + j, left, 0));
        v16f hidden_gradient = NAME(load)(upstream + j, left, 0) + NAME(load)(carried_hidden + j, left, 0);
        v16f output_gate = hidden_gradient * tanh_cell * o * (1.0f - o);
        v16f cell_gradient =
            NAME(load)(carried_cell + j, left, 0) + hidden_gradient * o * (1.0f - tanh_cell * tanh_cell);
        if (co) cell_gradient += output_gate * NAME(load)(co + j, left, 0);
        v16f input_gate = cell_gradient * g * i * (1.0f - i);
        v16f forget_gate = cell_gradient * NAME(load)(previous_cell + j, left, 0) * f * (1.0f - f);
        v16f candidate = cell_gradient * i * (1.0f - g * g);
        v16f next_cell_gradient = cell_gradient * f;
        if (ci) next_cell_gradient += input_gate * NAME(load)(ci + j, left, 0);
        if (cf) next_cell_gradient += forget_gate * NAME(load)(cf + j, left, 0);
        NAME(store)(gates + j, input_gate, left);
        NAME(store)(gates + size + j, forget_gate, left);
        NAME(store)(gates + 2 * size + j, candidate, left);
        NAME(store)(gates + 3 * size + j, output_gate, left);
        NAME(store)(carried_cell + j, next_cell_gradient, left);
    }
}
