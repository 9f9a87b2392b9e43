import NIOCore

/// Runs a connection's call tasks on its event loop. A call that never waits for storage then completes
/// without a single thread switch (the request arrives, runs and is answered on one thread); whatever it
/// does wait for (fsync, block writes, commits) still runs on its own threads and resumes here. A client's
/// callers run on theirs the same way: a reply resumes its caller on the thread that read it.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let loop: any EventLoop

    public init(_ loop: any EventLoop) { self.loop = loop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
