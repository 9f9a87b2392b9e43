// Linux calls that Swift's Glibc module does not export.
#ifndef C_STRATA_LINUX_H
#define C_STRATA_LINUX_H

#ifdef __linux__
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <errno.h>
#endif
#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/// Starts writeback of a file range without waiting for it (sync_file_range(2) with SYNC_FILE_RANGE_WRITE);
/// a later fdatasync still makes it durable. Elsewhere: nothing to do.
static inline int strata_start_writeback(int fd, long long offset, long long count) {
#ifdef __linux__
    return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}

/// A mutex that spins briefly before sleeping, and that a running thread may take ahead of woken waiters
/// (PTHREAD_MUTEX_ADAPTIVE_NP; elsewhere a default mutex). See `AdaptiveMutex` for why.
static inline int strata_adaptive_mutex_init(pthread_mutex_t *mutex) {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
#ifdef __linux__
    pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    int result = pthread_mutex_init(mutex, &attributes);
    pthread_mutexattr_destroy(&attributes);
    return result;
}

/// Turns O_DIRECT on or off for an open descriptor (on, writes go from the caller's aligned buffer to the
/// device, past the page cache). 0, or the errno; elsewhere ENOTSUP.
static inline int strata_set_direct_io(int fd, int on) {
#ifdef __linux__
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, on ? (flags | O_DIRECT) : (flags & ~O_DIRECT)) < 0) return errno;
    return 0;
#else
    (void)fd; (void)on;
    return 45; /* ENOTSUP */
#endif
}

/// Lets glibc's malloc keep up to `bytes` of freed memory for reuse, and serve allocations of up to 32 MiB
/// from it, rather than give freed memory back to the kernel as it does by default (a large allocation is
/// its own mapping, unmapped on free; the heap's free top is trimmed). Memory handed back and taken again is
/// fresh: every page faults on first touch, and on a virtual machine whose host reclaims freed guest memory
/// each fault is a host fault too. Elsewhere: nothing to do.
static inline void strata_keep_freed_memory(int bytes) {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, bytes);
#else
    (void)bytes;
#endif
}

/// Counts one unit of work done by the calling thread; at every `period`th, gives up the CPU (sched_yield)
/// when the thread has not blocked since the previous one, so one that never waits shares its core at a finer
/// grain than the scheduler's slice. In shim.c: RUSAGE_THREAD needs a glibc header this module cannot import.
void strata_yield_if_busy(int period);

#endif
