#ifndef EDGESYNC_CTHREADSCHEDULING_H
#define EDGESYNC_CTHREADSCHEDULING_H

#include <stdint.h>
#include <sys/types.h>

/// Asks the scheduler for a slice of `nanoseconds` for thread `tid` (0: the caller), keeping its
/// policy (SCHED_OTHER) and nice value: `sched_setattr(2)`'s `sched_runtime`, which Linux 6.12 and
/// later read as the thread's EEVDF slice; 0 restores the kernel's default. Threads the thread
/// creates afterwards inherit it. Returns 0, or an errno (ENOSYS where there is no such call).
int edgesync_thread_set_slice(pid_t tid, uint64_t nanoseconds);

/// The slice thread `tid` (0: the caller) runs with, in nanoseconds, or -1 with `errno` set.
int64_t edgesync_thread_slice(pid_t tid);

#endif
