import Glibc
import Logging
import Synchronization

/// Delivers one receiver's notifications in order through a transport, retrying with
/// backoff (see `DeliveryQueueStateMachine`). `deliverDue()` does the due work on the
/// calling thread and says when to come back, so tests drive it with a manual clock;
/// `start()` runs it on a thread of its own, so one slow or dead receiver holds up no
/// other and no async executor thread blocks on a socket.
public final class ReceiverDelivery: Sendable {
    public let name: String
    public let url: String
    public let timeoutMilliseconds: Int64
    let contentType: String
    private let queue: Mutex<DeliveryQueueStateMachine>
    private let transport: any NotificationTransport
    private let clock: any AlertingClock
    private let deadLetters: @Sendable (DeadLetter) -> Void
    private let logger: Logger
    private let wakeup = WakeupSignal()
    private let running = Mutex<(started: Bool, stopping: Bool)>((false, false))
    /// Serialises `deliverDue`, so the queue's head is never sent twice at once.
    private let sendGate = Mutex(())
    /// Notifications the receiver accepted, attempts that failed, notifications given up.
    public let deliveredCount = Atomic<Int>(0)
    public let failedAttemptCount = Atomic<Int>(0)
    public let deadLetterCount = Atomic<Int>(0)

    public init(name: String, url: String, policy: RetryPolicy, timeoutMilliseconds: Int64 = 10_000,
                contentType: String = "application/json", transport: any NotificationTransport,
                clock: any AlertingClock, deadLetters: @escaping @Sendable (DeadLetter) -> Void,
                logger: Logger = Logger(label: "sluice.alerting.notify")) {
        self.name = name
        self.url = url
        self.timeoutMilliseconds = timeoutMilliseconds
        self.contentType = contentType
        queue = Mutex(DeliveryQueueStateMachine(policy: policy))
        self.transport = transport
        self.clock = clock
        self.deadLetters = deadLetters
        self.logger = logger
    }

    /// Notifications waiting (the one being retried included).
    public var pendingCount: Int { queue.withLock { $0.count } }

    public func enqueue(_ payload: [UInt8]) {
        let now = clock.nowMilliseconds()
        let dropped = queue.withLock { $0.enqueue(payload, at: now) }
        for item in dropped {
            deadLetterCount.add(1, ordering: .relaxed)
            deadLetters(deadLetter(item, at: now))
        }
        wakeup.signal()
    }

    private func deadLetter(_ item: DeliveryQueueStateMachine.Item, at time: Int64) -> DeadLetter {
        DeadLetter(receiver: name, url: url, payload: item.payload, lastError: item.lastError, attempts: item.failures,
                   firstAttemptAt: item.firstAttemptAt, gaveUpAt: time)
    }

    /// Sends everything due now, in order; returns when to call again (nil: queue empty).
    @discardableResult
    public func deliverDue() -> Int64? {
        sendGate.withLock { _ in
            while true {
                let now = clock.nowMilliseconds()
                let action = queue.withLock { $0.nextAction(at: now) }
                switch action {
                case .idle: return nil
                case .wait(let until): return until
                case .send(let item):
                    queue.withLock { $0.attempting(item.sequence, at: now) }
                    let request = NotificationRequest(url: url, body: item.payload, contentType: contentType,
                                                      timeoutMilliseconds: timeoutMilliseconds)
                    var failure: (message: String, permanent: Bool)?
                    do {
                        let response = try transport.post(request)
                        if !(200..<300).contains(response.status) {
                            // Like Alertmanager: a 4xx other than 408/429 will not get better by retrying.
                            let permanent = (400..<500).contains(response.status) && response.status != 408 && response.status != 429
                            let body = String(decoding: response.body.prefix(512), as: UTF8.self)
                            failure = ("HTTP \(response.status): \(body)", permanent)
                        }
                    } catch {
                        failure = ("\(error)", false)
                    }
                    let done = clock.nowMilliseconds()
                    guard let failure else {
                        queue.withLock { $0.delivered(item.sequence) }
                        deliveredCount.add(1, ordering: .relaxed)
                        continue
                    }
                    failedAttemptCount.add(1, ordering: .relaxed)
                    let givenUp = queue.withLock { $0.failed(item.sequence, error: failure.message, at: done, permanent: failure.permanent) }
                    if let givenUp {
                        logger.error("notification given up", metadata: [
                            "receiver": "\(name)", "error": "\(failure.message)", "attempts": "\(givenUp.failures)",
                        ])
                        deadLetterCount.add(1, ordering: .relaxed)
                        deadLetters(deadLetter(givenUp, at: done))
                    } else {
                        logger.warning("notification failed, will retry", metadata: ["receiver": "\(name)", "error": "\(failure.message)"])
                    }
                }
            }
        }
    }

    /// Runs deliveries on a dedicated thread until `stop()`.
    public func start() {
        let shouldStart = running.withLock { state -> Bool in
            guard !state.started else { return false }
            state.started = true
            return true
        }
        guard shouldStart else { return }
        DeliveryThread.spawn { [self] in
            while !running.withLock({ $0.stopping }) {
                let next = deliverDue()
                let wait = next.map { max(0, $0 - clock.nowMilliseconds()) } ?? 60_000
                if wait > 0 { wakeup.wait(milliseconds: wait) }
            }
            running.withLock { $0 = (false, false) }
        }
    }

    /// Asks the delivery thread to finish (after the send in progress, if any).
    public func stop() {
        running.withLock { $0.stopping = $0.started }
        wakeup.signal()
    }
}

/// A condition variable a delivery thread sleeps on until a deadline or a signal.
final class WakeupSignal: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var signalled = false

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func signal() {
        pthread_mutex_lock(mutex)
        signalled = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Returns after `milliseconds` or at a signal (a signal sent before the wait counts).
    func wait(milliseconds: Int64) {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let nanoseconds = Int64(deadline.tv_nsec) + (milliseconds % 1000) * 1_000_000
        deadline.tv_sec += Int(milliseconds / 1000) + Int(nanoseconds / 1_000_000_000)
        deadline.tv_nsec = Int(nanoseconds % 1_000_000_000)
        pthread_mutex_lock(mutex)
        while !signalled {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
        }
        signalled = false
        pthread_mutex_unlock(mutex)
    }
}

/// Starts a detached POSIX thread running a closure.
enum DeliveryThread {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    static func spawn(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let box = Unmanaged<Box>.fromOpaque(argument).takeRetainedValue()
            box.body()
            return nil
        }, box)
        if status == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Box>.fromOpaque(box).release()
        }
    }
}
