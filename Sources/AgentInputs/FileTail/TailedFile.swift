import Glibc

/// One open file being tailed: its descriptor, identity, read position, and the framer
/// and multiline joiner that turn its bytes into events.
///
/// The descriptor stays open after the file is renamed or deleted, which is how a
/// rotated file is read to its end. Positions: `readOffset` is the next byte to read;
/// every emitted event carries the offset just after it, and that is what a checkpoint
/// stores once the broker has acknowledged the event.
///
/// Not thread-safe: the file input's task owns it.
public final class TailedFile {
    public let identity: FileIdentity
    public var path: String
    public private(set) var fingerprint: FileFingerprint
    public private(set) var readOffset: Int64
    /// Largest size seen by `fstat`, to tell how much a truncation destroyed.
    public private(set) var lastObservedSize: Int64
    /// When (monotonic nanoseconds) its path stopped naming it; nil while it is current.
    public var rotatedAt: UInt64?
    /// When it last returned data (monotonic nanoseconds).
    public private(set) var lastDataAt: UInt64

    let fd: Int32
    private var framer: LineFramer
    private var joiner: MultilineJoiner?
    private var buffer: [UInt8]

    /// Opens `path` and positions it at `offset` (clamped to the file's size is the
    /// caller's decision, see `read`).
    public init(path: String, offset: Int64, maxLineBytes: Int, multiline: MultilineJoiner?,
                chunkBytes: Int = 256 * 1024, now: UInt64) throws {
        // Symlinks are followed (Kubernetes' /var/log/containers): identity is the target's.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw InputError("cannot open \(path): \(String(cString: strerror(errno)))") }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            close(fd)
            throw InputError("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.path = path
        identity = FileIdentity(status)
        fingerprint = FileFingerprint.read(fd: fd) ?? .empty
        readOffset = offset
        lastObservedSize = Int64(status.st_size)
        framer = LineFramer(maxLineBytes: maxLineBytes, startOffset: offset)
        joiner = multiline
        buffer = [UInt8](repeating: 0, count: chunkBytes)
        lastDataAt = now
    }

    deinit { close(fd) }

    /// What one `read` found.
    public enum ReadStatus: Equatable {
        /// Bytes were read (events may or may not be complete yet).
        case data(Int)
        /// Nothing new.
        case endOfFile
        /// The file is now shorter than the read position: it was truncated (copytruncate).
        /// Nothing was read; call `restart(at:)` after dealing with what may be lost.
        case truncated(size: Int64)
    }

    /// Current size from `fstat`, and whether the file still has a name (`st_nlink`).
    public func status() -> (size: Int64, linked: Bool)? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return nil }
        return (Int64(status.st_size), status.st_nlink > 0)
    }

    /// Reads at most `maxBytes` (one chunk at most) and appends the complete events.
    public func read(maxBytes: Int, now: UInt64, into events: inout [FramedLine]) throws -> ReadStatus {
        guard let (size, _) = status() else {
            throw InputError("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        if size < readOffset { return .truncated(size: size) }
        guard size > readOffset || size != lastObservedSize else { return .endOfFile }
        // Truncated and rewritten past our position before we looked (copytruncate while
        // we were busy): the first bytes changed.
        if readOffset > 0, fingerprint.length > 0, !fingerprint.matches(fd: fd) { return .truncated(size: size) }
        lastObservedSize = max(lastObservedSize, size)
        if !fingerprint.isComplete && size > Int64(fingerprint.length) {
            fingerprint = FileFingerprint.read(fd: fd) ?? fingerprint
        }
        guard size > readOffset, maxBytes > 0 else { return .endOfFile }
        let wanted = min(buffer.count, maxBytes, Int(size - readOffset))
        let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, wanted, off_t(readOffset)) }
        if got < 0 {
            if errno == EINTR { return .data(0) }
            throw InputError("cannot read \(path) at offset \(readOffset): \(String(cString: strerror(errno)))")
        }
        if got == 0 { return .endOfFile }
        readOffset += Int64(got)
        lastDataAt = now
        buffer.withUnsafeBytes { chunk in
            let bytes = UnsafeRawBufferPointer(rebasing: chunk[0..<got])
            if var joiner {
                framer.feed(bytes) { line in joiner.add(line, now: now) { events.append($0) } }
                self.joiner = joiner
            } else {
                framer.feed(bytes) { events.append($0) }
            }
        }
        return .data(got)
    }

    /// Deadline for the multiline flush timeout (monotonic nanoseconds), if one is pending.
    public var flushDeadline: UInt64? { joiner?.flushDeadline }

    /// Emits a multiline event whose timeout passed; with `endOfInput` (the file was
    /// rotated away and is finished) also the last line even without a newline.
    public func flushPending(now: UInt64, endOfInput: Bool, into events: inout [FramedLine]) {
        if endOfInput {
            if var joiner {
                framer.flush { line in joiner.add(line, now: now) { events.append($0) } }
                joiner.flush { events.append($0) }
                self.joiner = joiner
            } else {
                framer.flush { events.append($0) }
            }
        } else if var joiner {
            joiner.flushIfDue(now: now) { events.append($0) }
            self.joiner = joiner
        }
    }

    /// Bytes read but not yet emitted as events (a partial line, a pending multiline event).
    public var unemittedBytes: Int64 {
        readOffset - (joiner?.pendingStartOffset ?? framer.emittedThrough)
    }

    /// Starts over at `offset` (after a truncation): drops buffered partial data and
    /// takes a new fingerprint.
    public func restart(at offset: Int64) {
        readOffset = offset
        framer.reset(to: offset)
        joiner?.reset()
        fingerprint = FileFingerprint.read(fd: fd) ?? .empty
        lastObservedSize = offset
    }
}

extension TailedFile {
    /// The fingerprint of the file's first `length` bytes (to compare with a saved, shorter one).
    public static func fingerprintPrefix(of file: TailedFile, length: Int) -> FileFingerprint? {
        FileFingerprint.read(fd: file.fd, length: length)
    }
}
