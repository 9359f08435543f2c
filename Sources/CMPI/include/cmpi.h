#ifndef CMPI_H
#define CMPI_H
// A thin shim over Open MPI that exposes plain C types only: mpi.h's handles are macros
// over the addresses of globals, which Swift does not import. Every call works on
// MPI_COMM_WORLD, whose error handler is MPI_ERRORS_RETURN after cmpi_init, so a failed
// call returns its MPI error code (0 = MPI_SUCCESS) instead of aborting the process.
#include <stdint.h>

/// Initialises MPI (MPI_Init_thread, MPI_THREAD_SERIALIZED: any thread may call MPI, one at
/// a time) and writes this process's rank and the number of processes. Returns an MPI
/// error code.
/// Call only in a process started by mpirun.
int cmpi_init(int32_t *rank, int32_t *size);


/// Writes the number of processes of the job on this process's machine (those that share
/// its memory: MPI_Comm_split_type, MPI_COMM_TYPE_SHARED). Returns an MPI error code.
int cmpi_node_size(int32_t *size);

/// `values[0..<count] = Σ over processes of values[0..<count]`, in place (MPI_Allreduce,
/// MPI_SUM), in pieces of at most 2³⁰ elements. Returns an MPI error code.
int cmpi_sum_floats(float *values, int64_t count);

/// The same over doubles.
int cmpi_sum_doubles(double *values, int64_t count);

/// Memory that every process of the job can read and write, for sums in place: one
/// segment per process in a shared-memory window of the processes (MPI_Win_allocate_shared
/// on the communicator of MPI_Comm_split_type, MPI_COMM_TYPE_SHARED; every process of the
/// job must be on this machine).
typedef struct cmpi_shared_sum cmpi_shared_sum;

/// Makes `*shared`, with a segment of `count` floats for each process, zeroed, and writes
/// this process's into `*local`. Every process calls it, with the same count. Returns an
/// MPI error code.
int cmpi_shared_sum_create(int64_t count, float **local, cmpi_shared_sum **shared);

/// `segment[0..<count] = Σ over processes of their segment[0..<count]` in every process's
/// segment, summed in rank order: each process sums its `1/N` of the elements, between two
/// barriers. Every process calls it, with the same count. Returns an MPI error code.
int cmpi_shared_sum_run(cmpi_shared_sum *shared, int64_t count);

/// Ends every process of the job with `code` (MPI_Abort); does not return.
void cmpi_abort(int32_t code);

/// Finalises MPI (MPI_Finalize). Returns an MPI error code.
int cmpi_finalize(void);

/// The text of MPI error `code`, written into `buffer` (at least 256 bytes).
void cmpi_error_string(int code, char *buffer);

/// The library's version line ("Open MPI v4.1.4, package: ..."), written into `buffer`
/// (at least 256 bytes). May be called without cmpi_init.
void cmpi_library_version(char *buffer);

#endif
