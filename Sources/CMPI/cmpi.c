#include "cmpi.h"

#include <mpi.h>
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
