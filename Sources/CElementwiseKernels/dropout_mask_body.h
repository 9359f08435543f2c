// dropout_mask.h's kernel: one instruction set's copy, included by one_instruction_set.h.

TARGET static void NAME(dropout_mask)(uint8_t *mask, size_t first, size_t count, uint64_t key, uint32_t threshold) {
    for (size_t i = 0; i < count; i++) {
        uint64_t z = key + (uint64_t)(first + i + 1) * 0x9E3779B97F4A7C15u;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
        z ^= z >> 31;
        mask[i] = (uint32_t)(z >> 40) >= threshold;
    }
}
