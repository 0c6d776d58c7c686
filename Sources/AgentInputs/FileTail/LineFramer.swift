import Glibc

/// Splits the bytes of a file into lines, remembering where each line starts and ends so
/// that a checkpoint can name the exact byte to resume from.
///
/// A line ends at `\n`; a `\r` before it is dropped. A line longer than `maxLineBytes`
/// is cut into parts of at most that size (at a UTF-8 character boundary when one is
/// near), each marked with its part number, so nothing is dropped and no event grows
/// without bound. Bytes after the last newline wait in `partial` until more arrive or
/// the caller flushes them (a rotated file that ends without a newline).
///
/// Not thread-safe: one tailer owns it.
public struct LineFramer {
    public let maxLineBytes: Int
    private var partial: [UInt8] = []
    /// File offset of `partial[0]` (or of the next byte when `partial` is empty).
    private var partialStart: Int64
    /// Parts already emitted for the line now in `partial` (0 when it was never cut).
    private var partsEmitted = 0

    public init(maxLineBytes: Int, startOffset: Int64) {
        precondition(maxLineBytes >= 4, "a line part must hold one UTF-8 character")
        self.maxLineBytes = maxLineBytes
        partialStart = startOffset
    }

    /// Offset just after the last emitted line: where reading resumes after a restart.
    public var emittedThrough: Int64 { partialStart }
    /// Bytes read but not yet part of an emitted line.
    public var pendingBytes: Int { partial.count }

    /// Feeds the next bytes of the file (they follow the previous feed without a gap).
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, emit: (FramedLine) -> Void) {
        var index = 0
        let count = chunk.count
        while index < count {
            guard let newline = Self.indexOfNewline(chunk, from: index) else {
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[index..<count]))
                cutOversizedPartial(emit: emit)
                return
            }
            if partial.isEmpty && partsEmitted == 0 && newline - index <= maxLineBytes {
                // Fast path: the whole line is inside this chunk.
                var end = newline
                if end > index && chunk[end - 1] == 0x0D { end -= 1 }
                let line = [UInt8](UnsafeRawBufferPointer(rebasing: chunk[index..<end]))
                let start = partialStart
                partialStart += Int64(newline + 1 - index)
                emit(FramedLine(bytes: line, startOffset: start, endOffset: partialStart, part: nil))
            } else {
                partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[index..<newline]))
                cutOversizedPartial(emit: emit)
                // `partial` holds the line's file bytes exactly; the newline follows them.
                emitPartial(endOffset: partialStart + Int64(partial.count) + 1, final: true, emit: emit)
            }
            index = newline + 1
        }
    }

    /// Emits what is left without a newline (end of a rotated or idle file).
    public mutating func flush(emit: (FramedLine) -> Void) {
        guard !partial.isEmpty else { return }
        emitPartial(endOffset: partialStart + Int64(partial.count), final: true, emit: emit)
    }

    /// Forgets buffered bytes and restarts at `offset` (after a truncation).
    public mutating func reset(to offset: Int64) {
        partial.removeAll(keepingCapacity: true)
        partialStart = offset
        partsEmitted = 0
    }

    private mutating func emitPartial(endOffset: Int64, final: Bool, emit: (FramedLine) -> Void) {
        var bytes = partial
        if final, bytes.last == 0x0D, endOffset == partialStart + Int64(partial.count) + 1 { bytes.removeLast() }
        let part = partsEmitted > 0 ? FramedLine.Part(number: partsEmitted + 1, isLast: final) : nil
        emit(FramedLine(bytes: bytes, startOffset: partialStart, endOffset: endOffset, part: part))
        partial.removeAll(keepingCapacity: true)
        partialStart = endOffset
        partsEmitted = final ? 0 : partsEmitted + 1
    }

    private mutating func cutOversizedPartial(emit: (FramedLine) -> Void) {
        while partial.count > maxLineBytes {
            var cut = maxLineBytes
            // Step back over UTF-8 continuation bytes so a character is not split.
            var back = 0
            while back < 3, partial[cut - back] & 0xC0 == 0x80 { back += 1 }
            if partial[cut - back] & 0xC0 != 0x80, back < cut { cut -= back }
            let head = Array(partial[0..<cut])
            let end = partialStart + Int64(cut)
            emit(FramedLine(bytes: head, startOffset: partialStart, endOffset: end,
                            part: FramedLine.Part(number: partsEmitted + 1, isLast: false)))
            partsEmitted += 1
            partial.removeFirst(cut)
            partialStart = end
        }
    }

    private static func indexOfNewline(_ chunk: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < chunk.count, let base = chunk.baseAddress else { return nil }
        guard let found = memchr(base + start, 0x0A, chunk.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }
}

/// One line of a file (without its `\n`, and without a `\r` before it).
public struct FramedLine: Sendable, Equatable {
    /// Set when a line longer than the maximum was cut: part `number` (1-based) of it.
    public struct Part: Sendable, Equatable {
        public var number: Int
        public var isLast: Bool

        public init(number: Int, isLast: Bool) {
            self.number = number
            self.isLast = isLast
        }
    }

    public var bytes: [UInt8]
    /// Offset of the line's first byte in the file.
    public var startOffset: Int64
    /// Offset just after the line (after its newline when it had one).
    public var endOffset: Int64
    public var part: Part?

    public init(bytes: [UInt8], startOffset: Int64, endOffset: Int64, part: Part?) {
        self.bytes = bytes
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.part = part
    }
}
