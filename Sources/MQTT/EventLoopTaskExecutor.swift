import NIOCore

/// Runs a task's jobs on a channel's event loop. A connection's reader awaits packets that the
/// loop decodes and writes packets that the loop sends: on the loop's own thread each of those
/// steps is a queued job, not a wake-up of another thread, which is most of the time a lone QoS 1
/// publish waits for its PUBACK. Work that may block or take long (a message's first phase, the
/// store) runs elsewhere: only the connection's own bookkeeping runs here.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
