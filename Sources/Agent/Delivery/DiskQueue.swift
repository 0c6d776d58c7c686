import AgentInputs
import Glibc
import Synchronization

/// A bounded, durable FIFO of records (the agent's metric batches while the broker is
/// unreachable), in one folder.
///
/// Layout: segment files named by the sequence number of their first record
/// (`00000000000000000042.seg`, 20 digits), each a run of frames `[u32 LE payload length]
/// [u64 LE FNV-1a of the payload][payload]`; and `head`, written atomically, holding the
/// sequence number of the first record not yet acknowledged. A torn frame at the end of
/// the last segment (power loss during an append) is cut off when the queue opens.
/// When the segments exceed `maxBytes`, the oldest segment is dropped and its records
/// are reported by `append` as lost, so the caller can count a data gap.
///
/// Thread-safe (one mutex); appends are synced to disk before `append` returns.
public final class DiskQueue: Sendable {
    public let directory: String
    public let maxBytes: Int
    public let segmentBytes: Int

    private struct Segment {
        var firstSequence: UInt64
        var records: [(offset: Int, length: Int)]
        var bytes: Int
    }

    private struct State {
        var segments: [Segment] = []
        var head: UInt64 = 0
        var nextSequence: UInt64 = 0
        var activeFD: Int32 = -1
    }

    private let state: Mutex<State>

    public init(directory: String, maxBytes: Int, segmentBytes: Int = 1 << 20) throws {
        self.directory = directory
        self.maxBytes = maxBytes
        self.segmentBytes = min(segmentBytes, max(maxBytes / 4, 4096))
        try AgentFiles.makeDirectory(directory)
        var initial = State()
        if let bytes = AgentFiles.readWholeFile(directory + "/head"), let head = UInt64(String(decoding: bytes, as: UTF8.self).trimmingWhitespace.filter { $0 != "\n" }) {
            initial.head = head
        }
        for name in Self.segmentNames(in: directory) {
            guard let first = UInt64(name.dropLast(4)) else { continue }
            let path = directory + "/" + name
            guard let bytes = AgentFiles.readWholeFile(path) else { continue }
            var segment = Segment(firstSequence: first, records: [], bytes: 0)
            var offset = 0
            while offset + 12 <= bytes.count {
                let length = bytes.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) }
                let checksum = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt64.self)) }
                guard offset + 12 + length <= bytes.count,
                      bytes.withUnsafeBytes({ Self.checksum(UnsafeRawBufferPointer(rebasing: $0[(offset + 12)..<(offset + 12 + length)])) }) == checksum
                else { break }
                segment.records.append((offset + 12, length))
                offset += 12 + length
            }
            if offset < bytes.count { truncate(path, off_t(offset)) }
            segment.bytes = offset
            initial.segments.append(segment)
        }
        initial.segments.sort { $0.firstSequence < $1.firstSequence }
        if let last = initial.segments.last {
            initial.nextSequence = last.firstSequence + UInt64(last.records.count)
        } else {
            initial.nextSequence = initial.head
        }
        initial.head = min(max(initial.head, initial.segments.first?.firstSequence ?? initial.head), initial.nextSequence)
        state = Mutex(initial)
    }

    deinit {
        state.withLock { if $0.activeFD >= 0 { close($0.activeFD) } }
    }

    /// Records not yet acknowledged.
    public var count: Int { state.withLock { Int($0.nextSequence - $0.head) } }

    /// Bytes of all segments on disk.
    public var bytesOnDisk: Int { state.withLock { $0.segments.reduce(0) { $0 + $1.bytes } } }

    /// Appends and syncs one record; returns how many old records were dropped to stay
    /// under `maxBytes` (0 normally).
    @discardableResult
    public func append(_ payload: [UInt8]) throws -> Int {
        try state.withLock { state in
            var frame: [UInt8] = []
            frame.reserveCapacity(payload.count + 12)
            withUnsafeBytes(of: UInt32(payload.count).littleEndian) { frame.append(contentsOf: $0) }
            let sum = payload.withUnsafeBytes { Self.checksum($0) }
            withUnsafeBytes(of: sum.littleEndian) { frame.append(contentsOf: $0) }
            frame.append(contentsOf: payload)

            let lastIsEmpty = state.segments.last.map { $0.records.isEmpty } ?? false
            let needsNew = state.segments.isEmpty
                || (!lastIsEmpty && state.segments[state.segments.count - 1].bytes + frame.count > segmentBytes)
            if needsNew || state.activeFD < 0 {
                if state.activeFD >= 0 { close(state.activeFD) }
                state.activeFD = -1
                if needsNew {
                    // An empty last segment is reused (never a second segment of the same name).
                    state.segments.append(Segment(firstSequence: state.nextSequence, records: [], bytes: 0))
                }
                let path = directory + "/" + Self.name(state.segments[state.segments.count - 1].firstSequence)
                state.activeFD = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
                guard state.activeFD >= 0 else { throw AgentConfigError("cannot open \(path): \(String(cString: strerror(errno)))") }
                if needsNew { AgentFiles.syncDirectory(directory) }
            }
            let known = off_t(state.segments[state.segments.count - 1].bytes)
            func fail(_ what: String) -> AgentConfigError {
                let reason = String(cString: strerror(errno))
                // Cut what a failed append may have left, so offsets and file agree again.
                _ = ftruncate(state.activeFD, known)
                return AgentConfigError("cannot \(what) the queue in \(directory): \(reason)")
            }
            var written = 0
            while written < frame.count {
                let result = frame.withUnsafeBytes { write(state.activeFD, $0.baseAddress! + written, $0.count - written) }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw fail("append to")
                }
                written += result
            }
            guard fdatasync(state.activeFD) == 0 else { throw fail("sync") }
            let last = state.segments.count - 1
            state.segments[last].records.append((state.segments[last].bytes + 12, payload.count))
            state.segments[last].bytes += frame.count
            state.nextSequence += 1

            var dropped = 0
            while state.segments.count > 1 && state.segments.reduce(0, { $0 + $1.bytes }) > maxBytes {
                let oldest = state.segments.removeFirst()
                let end = oldest.firstSequence + UInt64(oldest.records.count)
                if state.head < end {
                    dropped += Int(end - max(state.head, oldest.firstSequence))
                    state.head = end
                    try Self.writeHead(state.head, directory: directory)
                }
                unlink(directory + "/" + Self.name(oldest.firstSequence))
            }
            return dropped
        }
    }

    /// Up to `max` records from the head, with their sequence numbers.
    public func peek(max: Int) -> [(sequence: UInt64, payload: [UInt8])] {
        let plan: [(String, UInt64, Int, Int)] = state.withLock { state in
            var plan: [(String, UInt64, Int, Int)] = []
            for segment in state.segments {
                for (index, record) in segment.records.enumerated() {
                    let sequence = segment.firstSequence + UInt64(index)
                    guard sequence >= state.head else { continue }
                    guard plan.count < max else { return plan }
                    plan.append((directory + "/" + Self.name(segment.firstSequence), sequence, record.offset, record.length))
                }
            }
            return plan
        }
        var result: [(UInt64, [UInt8])] = []
        for (path, sequence, offset, length) in plan {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { break }
            var payload = [UInt8](repeating: 0, count: length)
            let got = payload.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, length, off_t(offset)) }
            close(fd)
            guard got == length else { break }
            result.append((sequence, payload))
        }
        return result
    }

    /// Everything up to and including `sequence` was delivered: moves the head (durably)
    /// and deletes segments that are wholly behind it.
    public func acknowledge(through sequence: UInt64) throws {
        try state.withLock { state in
            guard sequence >= state.head else { return }
            state.head = min(sequence + 1, state.nextSequence)
            try Self.writeHead(state.head, directory: directory)
            while let first = state.segments.first, state.segments.count > 1,
                  first.firstSequence + UInt64(first.records.count) <= state.head {
                state.segments.removeFirst()
                unlink(directory + "/" + Self.name(first.firstSequence))
            }
        }
    }

    // MARK: Helpers

    static func name(_ sequence: UInt64) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    static func segmentNames(in directory: String) -> [String] {
        AgentFiles.entryNames(in: directory).filter { $0.hasSuffix(".seg") && $0.count == 24 }.sorted()
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        FileFingerprint(bytes: bytes).hash
    }

    static func writeHead(_ head: UInt64, directory: String) throws {
        try AgentFiles.writeAtomically(Array("\(head)\n".utf8), to: directory + "/head")
    }
}
