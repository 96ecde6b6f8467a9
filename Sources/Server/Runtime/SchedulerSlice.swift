import CThreadScheduling
import Foundation

/// The scheduler slice the server's threads ask for. A device's PUBACK waits for a chain of
/// wake-ups (the event loop that reads the PUBLISH, the task that validates it, the writer that
/// commits it, the event loop that answers). On a machine whose cores are busy with other work,
/// each woken thread may wait for the running one's slice to end: 1.4 ms by default on 2 cores,
/// more on more cores. Since Linux 6.12 a thread can ask for a shorter slice (`sched_setattr(2)`),
/// and a woken thread with a shorter slice preempts sooner; its share of the CPU does not change.
/// 1,000 devices on 2 cores, one core kept busy, six alternating runs each: PUBACK p99 9.6–22.4 ms
/// (median 14) with 0.2 ms, 10.0–26.5 ms (median 23) with the kernel's slice. But the server's
/// own threads then take turns more often too: a 100,000-row replay, whose read-ahead and writer
/// share 2 cores, drained 54,000–88,000 rows/s (median 78,000) against 73,000–107,000 (median
/// 90,000) in alternating runs. So it is for an operator to choose (`--scheduler-slice-us`), and
/// off by default. Elsewhere, and on older kernels, nothing changes.
public enum SchedulerSlice {
    /// The slices the kernel accepts (0.1–100 ms).
    public static let range: ClosedRange<Duration> = .microseconds(100) ... .milliseconds(100)

    /// Sets every present thread of this process to `slice`; threads they create later inherit
    /// it. Returns the first refusal's errno, nil when every thread took it.
    public static func apply(_ slice: Duration) -> Int32? {
        let nanoseconds = UInt64(max(slice.nanoseconds, 0))
        var refusal: Int32?
        // A thread that has just ended (ESRCH) is not a refusal.
        for tid in threads() {
            let error = edgesync_thread_set_slice(tid, nanoseconds)
            if error != 0, error != ESRCH { refusal = refusal ?? error }
        }
        return refusal
    }

    /// The slice a thread (0: the caller; another process's too) runs with, nil where it cannot
    /// be read.
    public static func slice(ofThread tid: pid_t = 0) -> Duration? {
        let nanoseconds = edgesync_thread_slice(tid)
        return nanoseconds < 0 ? nil : .nanoseconds(nanoseconds)
    }

    /// This process's threads; just the caller where `/proc` does not list them.
    private static func threads() -> [pid_t] {
        let listed = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        let tids = listed.compactMap { pid_t($0) }
        return tids.isEmpty ? [0] : tids
    }
}
