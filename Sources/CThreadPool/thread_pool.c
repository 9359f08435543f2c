#define _GNU_SOURCE  // pthread_setname_np
#include "thread_pool.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/// How long an idle worker keeps polling for the next job before it sleeps: long enough
/// to bridge the gaps between the jobs of a training window or a generated token, short
/// enough that an idle process stops using the cores almost at once.
#define THREAD_POOL_SPIN_NANOSECONDS 2000000
#define MAX_WORKERS 255

/// How many times the caller polls for parts still running on other threads before it
/// starts yielding its core to them: a worker that was preempted in the middle of a part
/// (another process on the core) then gets the core back at once, not after the caller's
/// whole time slice.
#define THREAD_POOL_SPINS_BEFORE_YIELD 4096

/// A caller that waits this much longer for the other threads' parts than it took for its
/// own (plus the slack below) was held up by a thread that lost its core in the middle of a
/// part: on a quiet machine the parts of a job end within microseconds of each other.
#define THREAD_POOL_STALL_SLACK_NANOSECONDS 500000

/// After a stall the caller runs jobs alone for a while (its workers sleep), then tries
/// its workers again: first for THREAD_POOL_SOLO_MIN_NANOSECONDS, doubled at every stall
/// that follows soon after (a machine that stays busy) up to the maximum, and back to the
/// minimum after THREAD_POOL_CALM_NANOSECONDS without a stall.
#define THREAD_POOL_SOLO_MIN_NANOSECONDS 20000000
#define THREAD_POOL_SOLO_MAX_NANOSECONDS 1000000000
#define THREAD_POOL_CALM_NANOSECONDS 2000000000

/// One worker's doorbell, on its own cache line: advanced once per job the worker is
/// asked to help with.
typedef struct {
    _Alignas(64) _Atomic uint32_t sequence;
    _Atomic uint32_t sleeping;  // the worker is (about to be) in futex_wait
} mailbox;

/// The job's parts are claimed, not assigned: `ticket` packs the job's generation (bits
/// 32-63), its number of parts (16-31) and the next unclaimed part (0-15), and a thread
/// takes a part by advancing it. Whichever threads are running claim the parts between
/// them, so a worker that another process keeps off its core delays nothing unless it has
/// already claimed a part; what each part computes does not depend on who runs it.
static struct {
    pthread_mutex_t setup;                   // guards starting workers
    size_t workers_started;
    _Atomic size_t threads;                  // threads a job may use (caller included)
    _Atomic int busy;                        // a job is running
    thread_pool_body body;                   // the current job, written before its ticket
    void *context;
    uint32_t generation;
    _Alignas(64) _Atomic uint64_t ticket;
    _Alignas(64) _Atomic size_t finished;    // parts of the current job done
    mailbox workers[MAX_WORKERS];
    _Atomic uint64_t solo_until;             // jobs before this time run on the caller alone
    // Read and written by the thread that holds `busy` only.
    uint64_t solo_length;                    // the next solo period
    uint64_t last_stall;
} pool = {.setup = PTHREAD_MUTEX_INITIALIZER, .threads = 1, .solo_length = THREAD_POOL_SOLO_MIN_NANOSECONDS};

/// Claims the next part of the current job: 1 and the part's index, or 0 when every part
/// is taken. The job's body and context may be read after a successful claim: the job
/// cannot end, and another begin, while one of its parts is unfinished.
static int claim(size_t *part) {
    uint64_t ticket = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    for (;;) {
        uint64_t next = ticket & 0xFFFF, parts = (ticket >> 16) & 0xFFFF;
        if (next >= parts) return 0;
        if (atomic_compare_exchange_weak_explicit(&pool.ticket, &ticket, ticket + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            *part = (size_t)next;
            return 1;
        }
    }
}

/// Runs parts of the current job until none is left unclaimed.
static void run_claimed_parts(void) {
    size_t part;
    while (claim(&part)) {
        pool.body(pool.context, part);
        atomic_fetch_add_explicit(&pool.finished, 1, memory_order_release);
    }
}

static uint64_t now_nanoseconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
}

static void futex_wait(_Atomic uint32_t *address, uint32_t expected) {
    syscall(SYS_futex, (uint32_t *)address, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *address) {
    syscall(SYS_futex, (uint32_t *)address, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/// Returns once the mailbox's sequence differs from `seen`: spinning first, then sleeping.
static uint32_t wait_for_job(mailbox *box, uint32_t seen) {
    uint64_t deadline = 0;
    for (unsigned spins = 1;; spins++) {
        uint32_t current = atomic_load_explicit(&box->sequence, memory_order_acquire);
        if (current != seen) return current;
        CPU_RELAX();
        if (spins % 256 != 0) continue;
        uint64_t now = now_nanoseconds();
        if (deadline == 0) deadline = now + THREAD_POOL_SPIN_NANOSECONDS;
        if (now < deadline) continue;
        // Announce the sleep before futex_wait looks at `sequence` again; the caller
        // advances `sequence` before it looks at `sleeping` (both sequentially
        // consistent), so either it sees the flag and wakes this worker, or futex_wait
        // sees the new job and returns at once.
        atomic_store(&box->sleeping, 1);
        futex_wait(&box->sequence, seen);
        atomic_store(&box->sleeping, 0);
        deadline = 0;
    }
}

static void *worker_main(void *argument) {
    mailbox *box = &pool.workers[(size_t)(uintptr_t)argument];
    // Zero, not the current value: a job may be posted before this thread first looks.
    uint32_t seen = 0;
    for (;;) {
        seen = wait_for_job(box, seen);
        run_claimed_parts();
    }
    return NULL;
}

size_t thread_pool_set_threads(size_t threads) {
    if (threads < 1) threads = 1;
    if (threads > MAX_WORKERS + 1) threads = MAX_WORKERS + 1;
    pthread_mutex_lock(&pool.setup);
    while (pool.workers_started < threads - 1) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, worker_main, (void *)(uintptr_t)pool.workers_started);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        pthread_setname_np(thread, "lmtool-worker");  // as top, perf and gdb show it
        pool.workers_started++;
    }
    size_t usable = pool.workers_started + 1 < threads ? pool.workers_started + 1 : threads;
    atomic_store(&pool.threads, usable);
    pthread_mutex_unlock(&pool.setup);
    return usable;
}

size_t thread_pool_threads(void) { return atomic_load(&pool.threads); }

size_t thread_pool_threads_for_next_job(void) {
    if (atomic_load(&pool.busy)) return 1;  // inside a job, or beside one: the next job runs on its caller
    if (atomic_load_explicit(&pool.solo_until, memory_order_relaxed) > now_nanoseconds()) return 1;
    return atomic_load(&pool.threads);
}

static void run_alone(size_t parts, thread_pool_body body, void *context) {
    for (size_t part = 0; part < parts; part++) body(context, part);
}

/// Notes how long the caller waited for the other threads after running its own parts:
/// a stall starts a solo period, each one longer while stalls keep coming.
static void note_wait(uint64_t started, uint64_t own_done, uint64_t all_done) {
    uint64_t own = own_done - started, waited = all_done - own_done;
    if (all_done - pool.last_stall > THREAD_POOL_CALM_NANOSECONDS) pool.solo_length = THREAD_POOL_SOLO_MIN_NANOSECONDS;
    if (waited <= own + THREAD_POOL_STALL_SLACK_NANOSECONDS) return;
    pool.last_stall = all_done;
    atomic_store_explicit(&pool.solo_until, all_done + pool.solo_length, memory_order_relaxed);
    pool.solo_length = pool.solo_length * 2 < THREAD_POOL_SOLO_MAX_NANOSECONDS ? pool.solo_length * 2
                                                                                : THREAD_POOL_SOLO_MAX_NANOSECONDS;
}

static void run(size_t parts, thread_pool_body body, void *context, int long_parts);

void thread_pool_run(size_t parts, thread_pool_body body, void *context) { run(parts, body, context, 0); }

void thread_pool_run_long(size_t parts, thread_pool_body body, void *context) { run(parts, body, context, 1); }

static void run(size_t parts, thread_pool_body body, void *context, int long_parts) {
    int idle = 0;
    size_t threads = atomic_load(&pool.threads);
    if (parts <= 1 || threads == 1 || (!long_parts && parts > threads) ||
        !atomic_compare_exchange_strong(&pool.busy, &idle, 1)) {
        run_alone(parts, body, context);
        return;
    }
    uint64_t started = now_nanoseconds();
    if (!long_parts && started < atomic_load_explicit(&pool.solo_until, memory_order_relaxed)) {
        run_alone(parts, body, context);
        atomic_store_explicit(&pool.busy, 0, memory_order_release);
        return;
    }
    pool.body = body;
    pool.context = context;
    pool.generation++;
    atomic_store_explicit(&pool.finished, 0, memory_order_relaxed);
    // Publishes the job (sequentially consistent: before the doorbells below).
    atomic_store(&pool.ticket, (uint64_t)pool.generation << 32 | (uint64_t)parts << 16);
    size_t helpers = (parts < threads ? parts : threads) - 1;
    for (size_t worker = 0; worker < helpers; worker++) {
        mailbox *box = &pool.workers[worker];
        atomic_fetch_add(&box->sequence, 1);
        if (atomic_load(&box->sleeping)) futex_wake(&box->sequence);
    }
    run_claimed_parts();
    uint64_t own_done = now_nanoseconds();
    unsigned spins = 0;
    for (; atomic_load_explicit(&pool.finished, memory_order_acquire) < parts; spins++) {
        if (spins < THREAD_POOL_SPINS_BEFORE_YIELD) {
            CPU_RELAX();
        } else {
            sched_yield();
        }
    }
    if (!long_parts && spins >= THREAD_POOL_SPINS_BEFORE_YIELD) note_wait(started, own_done, now_nanoseconds());
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
}
