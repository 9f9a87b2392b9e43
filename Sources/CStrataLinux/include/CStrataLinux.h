// Linux calls that Swift's Glibc module does not export.
#ifndef C_STRATA_LINUX_H
#define C_STRATA_LINUX_H

#ifdef __linux__
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
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

#endif
