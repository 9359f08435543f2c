#include "thread_pool.h"

#include <linux/futex.h>
#include <pthread.h>
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

/// One worker's mailbox, on its own cache line: the job is written before `sequence` is
/// advanced and read after, and only while the worker is idle.
typedef struct {
    _Alignas(64) _Atomic uint32_t sequence;  // advanced once per job for this worker
    _Atomic uint32_t sleeping;               // the worker is (about to be) in futex_wait
    thread_pool_body body;
    void *context;
} mailbox;

static struct {
    pthread_mutex_t setup;                   // guards starting workers
    size_t workers_started;
    _Atomic size_t threads;                  // threads a job may use (caller included)
    _Atomic int busy;                        // a job is running
    _Alignas(64) _Atomic size_t unfinished;  // worker parts of the current job not yet done
    mailbox workers[MAX_WORKERS];
} pool = {.setup = PTHREAD_MUTEX_INITIALIZER, .threads = 1};

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
    size_t index = (size_t)(uintptr_t)argument;
    mailbox *box = &pool.workers[index];
    // Zero, not the current value: a job may be posted before this thread first looks.
    uint32_t seen = 0;
    for (;;) {
        seen = wait_for_job(box, seen);
        box->body(box->context, index + 1);
        atomic_fetch_sub_explicit(&pool.unfinished, 1, memory_order_release);
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
        pool.workers_started++;
    }
    size_t usable = pool.workers_started + 1 < threads ? pool.workers_started + 1 : threads;
    atomic_store(&pool.threads, usable);
    pthread_mutex_unlock(&pool.setup);
    return usable;
}

size_t thread_pool_threads(void) { return atomic_load(&pool.threads); }

void thread_pool_run(size_t parts, thread_pool_body body, void *context) {
    int idle = 0;
    if (parts <= 1 || parts > atomic_load(&pool.threads) ||
        !atomic_compare_exchange_strong(&pool.busy, &idle, 1)) {
        for (size_t part = 0; part < parts; part++) body(context, part);
        return;
    }
    atomic_store_explicit(&pool.unfinished, parts - 1, memory_order_relaxed);
    for (size_t worker = 0; worker < parts - 1; worker++) {
        mailbox *box = &pool.workers[worker];
        box->body = body;
        box->context = context;
        atomic_fetch_add(&box->sequence, 1);  // publishes the job (sequentially consistent)
        if (atomic_load(&box->sleeping)) futex_wake(&box->sequence);
    }
    body(context, 0);
    while (atomic_load_explicit(&pool.unfinished, memory_order_acquire) > 0) CPU_RELAX();
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
}
