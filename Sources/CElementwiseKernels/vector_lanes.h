// The per-instruction-set helpers every element-wise kernel uses: loads and stores of
// 16 floats (a partial vector at a row's end), lane selection, and exp, sigmoid and tanh.
// one_instruction_set.h includes this file once per instruction set, with TARGET (a
// function attribute) and NAME(f) (the suffixed name) defined. Written with the compiler's
// generic vectors of 16 floats, which become one AVX-512 register, two AVX registers or
// four SSE registers.

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
