// Linux calls that Swift's Glibc module does not export.
#ifndef C_STRATA_LINUX_H
#define C_STRATA_LINUX_H

#ifdef __linux__
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#endif
#include <pthread.h>

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

#endif
