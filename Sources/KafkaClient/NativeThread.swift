import Glibc

/// A joinable POSIX thread running one closure. librdkafka's blocking calls (poll, commit,
/// close) run on these so that they never hold a thread of Swift's cooperative pool.
final class NativeThread: Sendable {
    private let thread: pthread_t

    /// Starts `body` on a new thread.
    init(_ body: @escaping @Sendable () -> Void) {
        final class Start {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let start = Unmanaged.passRetained(Start(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, start)
        precondition(result == 0, "pthread_create failed: \(result)")
        self.thread = thread
    }

    /// Waits for the closure to return. Call once, never from the thread itself.
    func join() {
        _ = pthread_join(thread, nil)
    }
}
