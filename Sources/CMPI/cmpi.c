#include "cmpi.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int cmpi_init(int32_t *rank, int32_t *size) {
    int provided = 0;
    int status = MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided);
    if (status != MPI_SUCCESS) return status;
    if (provided < MPI_THREAD_SERIALIZED) return MPI_ERR_OTHER;
    status = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if (status != MPI_SUCCESS) return status;
    int value = 0;
    if ((status = MPI_Comm_rank(MPI_COMM_WORLD, &value)) != MPI_SUCCESS) return status;
    *rank = value;
    if ((status = MPI_Comm_size(MPI_COMM_WORLD, &value)) != MPI_SUCCESS) return status;
    *size = value;
    return MPI_SUCCESS;
}

int cmpi_node_size(int32_t *size) {
    MPI_Comm node;
    int status = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    if (status != MPI_SUCCESS) return status;
    int value = 0;
    status = MPI_Comm_size(node, &value);
    *size = value;
    int freed = MPI_Comm_free(&node);
    return status != MPI_SUCCESS ? status : freed;
}


/// `Σ over processes` in place, in pieces of at most 2³⁰ elements: MPI counts are ints.
static int sum_in_place(char *values, int64_t count, MPI_Datatype type, size_t size) {
    const int64_t piece = (int64_t)1 << 30;
    for (int64_t start = 0; start < count; start += piece) {
        int length = (int)(count - start < piece ? count - start : piece);
        int status = MPI_Allreduce(MPI_IN_PLACE, values + start * size, length, type, MPI_SUM, MPI_COMM_WORLD);
        if (status != MPI_SUCCESS) return status;
    }
    return MPI_SUCCESS;
}

int cmpi_sum_floats(float *values, int64_t count) {
    return sum_in_place((char *)values, count, MPI_FLOAT, sizeof(float));
}

int cmpi_sum_doubles(double *values, int64_t count) {
    return sum_in_place((char *)values, count, MPI_DOUBLE, sizeof(double));
}

struct cmpi_shared_sum {
    MPI_Comm node;
    MPI_Win window;
    int rank;
    int size;
    /// Every process's segment, in rank order, as this process maps it.
    float **segments;
};

int cmpi_shared_sum_create(int64_t count, float **local, cmpi_shared_sum **shared) {
    cmpi_shared_sum *sum = calloc(1, sizeof *sum);
    if (!sum) return MPI_ERR_NO_MEM;
    int status = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &sum->node);
    if (status != MPI_SUCCESS) {
        free(sum);
        return status;
    }
    status = MPI_Comm_rank(sum->node, &sum->rank);
    if (status == MPI_SUCCESS) status = MPI_Comm_size(sum->node, &sum->size);
    if (status == MPI_SUCCESS && !(sum->segments = calloc((size_t)sum->size, sizeof(float *)))) status = MPI_ERR_NO_MEM;
    float *base = NULL;
    int allocated = 0;
    if (status == MPI_SUCCESS) {
        // Each segment may start on its own page (near the process that writes it most).
        MPI_Info info;
        MPI_Info_create(&info);
        MPI_Info_set(info, "alloc_shared_noncontig", "true");
        status = MPI_Win_allocate_shared(
            (MPI_Aint)(count > 0 ? count : 1) * (MPI_Aint)sizeof(float), sizeof(float), info, sum->node, &base,
            &sum->window);
        MPI_Info_free(&info);
        allocated = status == MPI_SUCCESS;
        // Windows abort on errors by default; this one returns them, as the communicators do.
        if (allocated) status = MPI_Win_set_errhandler(sum->window, MPI_ERRORS_RETURN);
    }
    for (int process = 0; process < sum->size && status == MPI_SUCCESS; process++) {
        MPI_Aint bytes = 0;
        int unit = 0;
        status = MPI_Win_shared_query(sum->window, process, &bytes, &unit, &sum->segments[process]);
    }
    // One passive epoch for the window's life: the sums synchronise with MPI_Win_sync and
    // barriers (the unified memory model of shared windows).
    if (status == MPI_SUCCESS) status = MPI_Win_lock_all(MPI_MODE_NOCHECK, sum->window);
    if (status != MPI_SUCCESS) {
        if (allocated) MPI_Win_free(&sum->window);
        MPI_Comm_free(&sum->node);
        free(sum->segments);
        free(sum);
        return status;
    }
    memset(base, 0, (size_t)count * sizeof(float));
    *local = base;
    *shared = sum;
    return MPI_SUCCESS;
}

/// Every process's writes to the window before the call are seen by every process after it.
static int synchronise(cmpi_shared_sum *sum) {
    int status = MPI_Win_sync(sum->window);
    if (status == MPI_SUCCESS) status = MPI_Barrier(sum->node);
    if (status == MPI_SUCCESS) status = MPI_Win_sync(sum->window);
    return status;
}

int cmpi_shared_sum_run(cmpi_shared_sum *sum, int64_t count) {
    int status = synchronise(sum);
    if (status != MPI_SUCCESS) return status;
    // This process's share, cut at multiples of 16 floats: no two processes write one
    // cache line.
    int64_t blocks = (count + 15) / 16;
    int64_t start = blocks * sum->rank / sum->size * 16, end = blocks * (sum->rank + 1) / sum->size * 16;
    if (end > count) end = count;
    if (start > end) start = end;
    enum { piece = 4096 };  // 16 KB per segment: the sums stay in the first-level cache
    for (int64_t first = start; first < end; first += piece) {
        int64_t length = end - first < piece ? end - first : piece;
        float *restrict total = sum->segments[0] + first;
        for (int process = 1; process < sum->size; process++) {
            const float *restrict part = sum->segments[process] + first;
            for (int64_t index = 0; index < length; index++) total[index] += part[index];
        }
        for (int process = 1; process < sum->size; process++) {
            memcpy(sum->segments[process] + first, total, (size_t)length * sizeof(float));
        }
    }
    return synchronise(sum);
}

void cmpi_abort(int32_t code) { MPI_Abort(MPI_COMM_WORLD, code); }

int cmpi_finalize(void) { return MPI_Finalize(); }

void cmpi_error_string(int code, char *buffer) {
    int length = 0;
    char text[MPI_MAX_ERROR_STRING];
    if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
    text[length < MPI_MAX_ERROR_STRING ? length : MPI_MAX_ERROR_STRING - 1] = 0;
    strncpy(buffer, text, 255);
    buffer[255] = 0;
}

void cmpi_library_version(char *buffer) {
    int length = 0;
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    if (MPI_Get_library_version(text, &length) != MPI_SUCCESS) length = 0;
    text[length < MPI_MAX_LIBRARY_VERSION_STRING ? length : MPI_MAX_LIBRARY_VERSION_STRING - 1] = 0;
    strncpy(buffer, text, 255);
    buffer[255] = 0;
}
