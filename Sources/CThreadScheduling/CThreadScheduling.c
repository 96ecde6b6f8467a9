#define _GNU_SOURCE
#include "CThreadScheduling.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/syscall.h>

/// The kernel's `struct sched_attr` (glibc 2.36 declares no wrapper for the call).
struct edgesync_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

static int read_attr(pid_t tid, struct edgesync_sched_attr *attr) {
    memset(attr, 0, sizeof *attr);
    return (int)syscall(SYS_sched_getattr, tid, attr, sizeof *attr, 0);
}

int edgesync_thread_set_slice(pid_t tid, uint64_t nanoseconds) {
    struct edgesync_sched_attr attr;
    if (read_attr(tid, &attr) != 0) return errno;
    // Only a normal thread's slice: a real-time or deadline policy set by an operator stays.
    if (attr.sched_policy != 0) return EPERM;
    attr.size = sizeof attr;
    attr.sched_flags = 0;
    attr.sched_runtime = nanoseconds;
    return syscall(SYS_sched_setattr, tid, &attr, 0) == 0 ? 0 : errno;
}

int64_t edgesync_thread_slice(pid_t tid) {
    struct edgesync_sched_attr attr;
    if (read_attr(tid, &attr) != 0) return -1;
    return (int64_t)attr.sched_runtime;
}
#else
int edgesync_thread_set_slice(pid_t tid, uint64_t nanoseconds) {
    (void)tid;
    (void)nanoseconds;
    return ENOSYS;
}

int64_t edgesync_thread_slice(pid_t tid) {
    (void)tid;
    errno = ENOSYS;
    return -1;
}
#endif
