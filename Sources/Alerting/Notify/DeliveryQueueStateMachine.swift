import SluiceModel

/// How a receiver is retried.
public struct RetryPolicy: Sendable, Equatable {
    /// The wait after the first failure; doubles after each further one.
    public var initialBackoffMilliseconds: Int64 = 500
    public var maximumBackoffMilliseconds: Int64 = 30_000
    /// A notification still undelivered this long after its first attempt is given up
    /// (and handed to the dead-letter sink).
    public var maximumRetryMilliseconds: Int64 = 600_000
    /// Notifications waiting beyond this many: the oldest is given up.
    public var capacity = 10_000

    public init() {}

    public init(initialBackoffMilliseconds: Int64, maximumBackoffMilliseconds: Int64, maximumRetryMilliseconds: Int64,
                capacity: Int = 10_000) {
        self.initialBackoffMilliseconds = initialBackoffMilliseconds
        self.maximumBackoffMilliseconds = maximumBackoffMilliseconds
        self.maximumRetryMilliseconds = maximumRetryMilliseconds
        self.capacity = capacity
    }

    /// The wait after `failures` failed attempts (1 → initial, 2 → 2 × initial, …, capped).
    public func backoff(afterFailures failures: Int) -> Int64 {
        var wait = initialBackoffMilliseconds
        for _ in 1..<max(1, failures) {
            if wait >= maximumBackoffMilliseconds { break }
            wait *= 2
        }
        return min(wait, maximumBackoffMilliseconds)
    }
}

/// A notification given up on, with why.
public struct DeadLetter: Sendable, Equatable {
    public var receiver: String
    public var url: String
    public var payload: [UInt8]
    public var lastError: String
    public var attempts: Int
    public var firstAttemptAt: Int64?
    public var gaveUpAt: Int64

    public init(receiver: String, url: String, payload: [UInt8], lastError: String, attempts: Int,
                firstAttemptAt: Int64?, gaveUpAt: Int64) {
        self.receiver = receiver
        self.url = url
        self.payload = payload
        self.lastError = lastError
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
        self.gaveUpAt = gaveUpAt
    }
}

/// One receiver's queue of notifications, delivered strictly in order: the head is
/// retried with exponential backoff until it succeeds or its retry time runs out, and
/// nothing behind it is sent meanwhile. A notification leaves the queue once, on success
/// or as a dead letter, so a receiver that comes back gets each notification exactly once
/// (as far as its answers tell: a request that reached it but whose answer was lost is
/// sent again). Pure: the caller passes the time and performs the sends.
public struct DeliveryQueueStateMachine: Sendable {
    public struct Item: Sendable, Equatable {
        public var sequence: UInt64
        public var payload: [UInt8]
        public var enqueuedAt: Int64
        public var firstAttemptAt: Int64?
        public var failures = 0
        public var nextAttemptAt: Int64
        public var lastError = ""
    }

    public enum Action: Sendable, Equatable {
        /// Send this (the head) now.
        case send(Item)
        /// Nothing is due before this time.
        case wait(until: Int64)
        case idle
    }

    public let policy: RetryPolicy
    public private(set) var items: [Item] = []
    private var nextSequence: UInt64 = 0

    public init(policy: RetryPolicy) { self.policy = policy }

    public var count: Int { items.count }

    /// Queues a payload; returns what was given up to stay within the capacity.
    public mutating func enqueue(_ payload: [UInt8], at time: Int64) -> [Item] {
        items.append(Item(sequence: nextSequence, payload: payload, enqueuedAt: time, nextAttemptAt: time))
        nextSequence += 1
        var dropped: [Item] = []
        while items.count > max(1, policy.capacity) {
            var oldest = items.removeFirst()
            oldest.lastError = "queue full (\(policy.capacity) notifications)"
            dropped.append(oldest)
        }
        return dropped
    }

    public func nextAction(at time: Int64) -> Action {
        guard let head = items.first else { return .idle }
        return head.nextAttemptAt <= time ? .send(head) : .wait(until: head.nextAttemptAt)
    }

    /// The head was delivered.
    public mutating func delivered(_ sequence: UInt64) {
        if items.first?.sequence == sequence { items.removeFirst() }
    }

    /// The head failed at `time`. Returns it when it is given up: its retry time is over,
    /// or `permanent` (the receiver refused it, e.g. HTTP 400, so retrying cannot help).
    public mutating func failed(_ sequence: UInt64, error: String, at time: Int64, permanent: Bool = false) -> Item? {
        guard var head = items.first, head.sequence == sequence else { return nil }
        head.failures += 1
        head.lastError = error
        let firstAttempt = head.firstAttemptAt ?? time
        head.firstAttemptAt = firstAttempt
        let wait = policy.backoff(afterFailures: head.failures)
        if permanent || time + wait - firstAttempt > policy.maximumRetryMilliseconds {
            items.removeFirst()
            return head
        }
        head.nextAttemptAt = time + wait
        items[0] = head
        return nil
    }

    /// Marks the head's first attempt (its retry time counts from here).
    public mutating func attempting(_ sequence: UInt64, at time: Int64) {
        guard items.first?.sequence == sequence, items[0].firstAttemptAt == nil else { return }
        items[0].firstAttemptAt = time
    }
}

extension DeadLetter {
    /// The record written to the `alerts` topic when a receiver stays down:
    /// `{"type":"dead_letter","timestamp":"…","receiver":…,"url":…,"error":…,"attempts":5,
    /// "first_attempt_at":"…"|null,"payload":{…the body that was not delivered…}}`.
    public func encodeJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + payload.count)
        func time(_ milliseconds: Int64) {
            writer.raw(UInt8(ascii: "\""))
            Timestamp(nanosecondsSinceEpoch: milliseconds &* 1_000_000).appendRFC3339(to: &writer.bytes)
            writer.raw(UInt8(ascii: "\""))
        }
        writer.raw("{\"type\":\"dead_letter\",\"timestamp\":")
        time(gaveUpAt)
        writer.raw(",\"receiver\":")
        writer.string(receiver)
        writer.raw(",\"url\":")
        writer.string(url)
        writer.raw(",\"error\":")
        writer.string(lastError)
        writer.raw(",\"attempts\":")
        writer.int(Int64(attempts))
        writer.raw(",\"first_attempt_at\":")
        if let firstAttemptAt { time(firstAttemptAt) } else { writer.raw("null") }
        // Bodies are JSON this process wrote; anything else is kept as a string.
        writer.raw(",\"payload\":")
        if payload.first == UInt8(ascii: "{") || payload.first == UInt8(ascii: "[") {
            writer.rawBytes(payload)
        } else {
            _ = writer.string(bytes: payload)
        }
        writer.raw("}")
        return writer.bytes
    }
}
