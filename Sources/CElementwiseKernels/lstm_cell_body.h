// lstm_cell.h's kernels: one instruction set's copy, included by one_instruction_set.h
// after vector_lanes.h (whose helpers it uses).

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
