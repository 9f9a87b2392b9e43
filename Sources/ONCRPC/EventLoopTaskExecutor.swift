import NIOCore

/// Runs a connection's call tasks on its event loop. A call that never waits for storage then completes
/// without a single thread switch (the request arrives, runs and is answered on one thread); whatever it
/// does wait for (fsync, block writes, commits) still runs on its own threads and resumes here.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
