#ifndef THREAD_POOL_H
#define THREAD_POOL_H
#include <stddef.h>

/// One pool of worker threads for all of lmtool's numeric work (OpenBLAS runs
/// single-threaded inside it), built for many short jobs: a training window hands it
/// hundreds of jobs of 0.1-1 ms each (one per recurrent step), so a job must start in
/// well under a microsecond. Idle workers therefore spin on the job counter for a while
/// (THREAD_POOL_SPIN_NANOSECONDS) before they sleep on a futex.
///
/// The calling thread and up to parts − 1 workers claim a job's parts as they become free
/// (which thread runs which part is not fixed, so a worker that another process keeps
/// off its core stalls nothing it has not started); once its parts are all claimed the
/// caller waits for the running ones, spinning briefly, then yielding its core. A job
/// started while another is running (from a second thread, or from inside a job) runs its
/// parts one after another on the calling thread instead. Workers are named
/// "lmtool-worker".
///
/// On a busy machine a worker can still lose its core in the middle of a part, and the
/// caller then waits a scheduler time slice for it: with hundreds of jobs per window, two
/// threads beside another busy process would run slower than one. So a caller that waits
/// far longer for a job's other parts than it spent on its own runs the following jobs
/// alone, for 20 ms after a first stall and twice as long after each stall that follows
/// soon after (at most a second), then tries its workers again. Which thread runs a part
/// never changes what it computes, so results stay the same bit for bit.

/// The body of a job: called once for each part, with the context given to
/// thread_pool_run.
typedef void (*thread_pool_body)(void *context, size_t part);

/// Makes `threads` threads (this one included) available to jobs, starting workers as
/// needed; never fewer than 1. Returns the number in use.
size_t thread_pool_set_threads(size_t threads);

/// Threads a job may use: what thread_pool_set_threads last set, 1 before that.
size_t thread_pool_threads(void);

/// Threads the next job should be split between: thread_pool_threads(), or 1 while the
/// pool runs jobs on the caller alone after a stall, and while a job is running (a job
/// started inside another runs its parts on its own thread). A job split so runs as it would with
/// one thread, without the cost of its extra parts (each part of a split product copies
/// its share of an operand).
size_t thread_pool_threads_for_next_job(void);

/// Runs body(context, part) for every part in 0..parts-1, at once on separate threads
/// when parts <= thread_pool_threads() (one after another otherwise), and returns when
/// every part has finished; what the parts wrote is then visible to the caller.
void thread_pool_run(size_t parts, thread_pool_body body, void *context);

/// thread_pool_run for a job of long parts (milliseconds each; more parts than threads
/// are claimed by the threads as they become free):
/// offered to the workers even while the caller works alone after a stall, and never
/// counted as a stall, since a worker slowed down by another process still finishes its
/// part sooner than the caller could after its own, and the caller claims the parts it
/// has not started.
void thread_pool_run_long(size_t parts, thread_pool_body body, void *context);

#endif
