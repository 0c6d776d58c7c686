/// Joins the lines of one multi-line event (a Java stack trace, a Python traceback) into
/// one event: a line that matches `startPattern` begins a new event, any other line
/// continues the current one. The event is emitted when the next one starts, when it
/// has waited `flushTimeout` without a new line, or when it reaches `maxBytes` (the
/// rest then starts a new event, so nothing is dropped).
///
/// Not thread-safe: one tailer owns it. Time is passed in so tests need no clock.
public struct MultilineJoiner {
    public let startPattern: Regex<AnyRegexOutput>
    public let maxBytes: Int
    public let flushTimeoutNanoseconds: UInt64

    private var pending: FramedLine?
    private var pendingLineCount = 0
    private var lastAppendNanoseconds: UInt64 = 0

    public init(startPattern: Regex<AnyRegexOutput>, maxBytes: Int, flushTimeoutNanoseconds: UInt64) {
        self.startPattern = startPattern
        self.maxBytes = maxBytes
        self.flushTimeoutNanoseconds = flushTimeoutNanoseconds
    }

    /// Offset where the pending (not yet emitted) event starts, if there is one.
    public var pendingStartOffset: Int64? { pending?.startOffset }

    /// When the pending event must be flushed if no line arrives (monotonic nanoseconds).
    public var flushDeadline: UInt64? {
        pending == nil ? nil : lastAppendNanoseconds + flushTimeoutNanoseconds
    }

    /// Adds one framed line; calls `emit` for every event that is complete.
    public mutating func add(_ line: FramedLine, now: UInt64, emit: (FramedLine) -> Void) {
        if line.part != nil {
            // Parts of an over-long line are events of their own, already marked.
            flush(emit: emit)
            emit(line)
            return
        }
        let text = String(decoding: line.bytes, as: UTF8.self)
        let starts = (try? startPattern.firstMatch(in: text)) != nil
        if starts || pending == nil {
            flush(emit: emit)
            pending = line
            pendingLineCount = 1
        } else if var current = pending {
            if current.bytes.count + 1 + line.bytes.count > maxBytes {
                emit(current)
                pending = line
                pendingLineCount = 1
            } else {
                current.bytes.append(0x0A)
                current.bytes.append(contentsOf: line.bytes)
                current.endOffset = line.endOffset
                pending = current
                pendingLineCount += 1
            }
        }
        lastAppendNanoseconds = now
    }

    /// Emits the pending event when it has waited past its deadline.
    public mutating func flushIfDue(now: UInt64, emit: (FramedLine) -> Void) {
        if let deadline = flushDeadline, now >= deadline { flush(emit: emit) }
    }

    /// Emits the pending event now.
    public mutating func flush(emit: (FramedLine) -> Void) {
        if let current = pending { emit(current) }
        pending = nil
        pendingLineCount = 0
    }

    /// Drops the pending event (its bytes will be read again: after a truncation).
    public mutating func reset() {
        pending = nil
        pendingLineCount = 0
    }
}
