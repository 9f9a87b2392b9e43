// Most of the target's calls are inline in its header; the one here needs _GNU_SOURCE's RUSAGE_THREAD,
// whose header would clash with the Glibc module's if the header included it.
#include "CStrataLinux.h"

#ifdef __linux__
#include <sched.h>
#include <sys/resource.h>

void strata_yield_if_busy(int period) {
    static __thread int done = 0;
    static __thread long blockedBefore = -1;
    if (period <= 0 || ++done < period) return;
    done = 0;
    struct rusage usage;
    if (getrusage(RUSAGE_THREAD, &usage) != 0) return;
    // ru_nvcsw counts voluntary switches (the thread waited); a yield or a preemption is not one.
    if (usage.ru_nvcsw == blockedBefore) sched_yield();
    blockedBefore = usage.ru_nvcsw;
}
#else
void strata_yield_if_busy(int period) { (void)period; }
#endif
