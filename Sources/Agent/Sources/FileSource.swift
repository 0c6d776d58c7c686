import AgentInputs
import Glibc
import Logging
import SluiceModel

/// Runs one `type: file` input: finds files by glob, tails each by identity (device,
/// inode, fingerprint), follows rotation by rename and by copytruncate, and ships lines
/// as log events whose checkpoints advance only when the broker acknowledged them.
///
/// Rotation: a file whose identity is no longer found under any matching path is
/// "rotated"; its descriptor stays open and it is read to its end, then let go once it has
/// been idle for `rotate_wait` (its writer may still append for a moment) or it has no
/// name left. Copytruncate: when a file becomes shorter than the read position, what was
/// not read yet is taken from the rotated copy next to it (same first bytes, larger);
/// only when no copy holds it is a data gap reported, as an event and a counter.
///
/// Not thread-safe: one task runs it.
final class FileSource {
    let config: FileInputConfig
    let context: SourceContext
    private var host: String { context.host }
    private var shipper: Shipper { context.shipper }
    private var counters: AgentCounters { context.counters }
    private var logger: Logger { context.logger }
    private let discovery: FileDiscovery
    private let watcher = FileWatcher()
    private let multilinePattern: Regex<AnyRegexOutput>?
    private var files: [FileIdentity: TailedFile] = [:]
    private var encoders: [FileIdentity: FileEventEncoder] = [:]
    private var lastScan: UInt64 = 0
    private var firstScanDone = false
    /// Whether this input ran before (then files without a checkpoint appeared while the
    /// agent was stopped, and are read from their beginning whatever `start_at` says).
    private var ranBefore = false
    private let chunkBytes = 256 * 1024

    init(config: FileInputConfig, context: SourceContext) throws {
        self.config = config
        self.context = context
        discovery = FileDiscovery(include: config.paths, exclude: config.exclude)
        multilinePattern = try config.multiline.map { try Regex($0.startPattern) }
    }

    func run() async {
        ranBefore = shipper.checkpoints.saved(.input(config.name)) != nil
        if !watcher.usesInotify {
            logger.notice("inotify unavailable; polling every \(config.pollIntervalNanoseconds / 1_000_000) ms")
        }
        defer { watcher.stop() }
        while !Task.isCancelled {
            let now = monotonicNanoseconds()
            if !firstScanDone || watcher.takeNeedsRescan() || now &- lastScan >= config.pollIntervalNanoseconds {
                await rescan(now: now)
            }
            var worked = false
            for identity in files.keys.sorted(by: { $0.inode < $1.inode }) {
                guard let file = files[identity] else { continue }
                if await pump(file, now: monotonicNanoseconds()) { worked = true }
                if Task.isCancelled { return }
            }
            if !worked {
                var timeout = config.pollIntervalNanoseconds
                let now = monotonicNanoseconds()
                for file in files.values {
                    if let deadline = file.flushDeadline { timeout = min(timeout, deadline > now ? deadline - now : 0) }
                    if let rotatedAt = file.rotatedAt {
                        let due = max(rotatedAt, file.lastDataAt) &+ config.rotateWaitNanoseconds
                        timeout = min(timeout, due > now ? due - now : 0)
                    }
                }
                _ = await watcher.signal.wait(timeoutNanoseconds: max(timeout, 1_000_000))
            }
        }
    }

    // MARK: Discovery

    private func rescan(now: UInt64) async {
        lastScan = now
        for directory in discovery.watchedDirectories { watcher.watch(directory: directory) }
        let found = discovery.scan()
        var current = Set<FileIdentity>()
        for entry in found {
            current.insert(entry.identity)
            watcher.watch(directory: Self.directory(of: entry.path))
            if let file = files[entry.identity] {
                if file.path != entry.path {
                    file.path = entry.path
                    encoders[entry.identity] = FileEventEncoder(host: host, path: entry.path, labels: config.labels)
                }
                file.rotatedAt = nil
                continue
            }
            await open(entry, now: now)
        }
        for (identity, file) in files where !current.contains(identity) && file.rotatedAt == nil {
            file.rotatedAt = now
            logger.debug("file rotated or removed; reading it to its end", metadata: ["file": "\(file.path)"])
        }
        if !firstScanDone {
            firstScanDone = true
            await resumeFilesGoneWhileStopped(found: current, now: now)
            if !ranBefore { shipper.checkpoints.advance(.input(config.name), to: .started) }
        }
    }

    /// Opens a newly found file at its checkpoint, or per `start_at` at the input's very
    /// first scan, or else at its beginning (it appeared while the agent ran or was stopped).
    private func open(_ entry: FileDiscovery.Found, now: UInt64) async {
        let key = CheckpointKey.file(input: config.name, identity: entry.identity)
        let file: TailedFile
        do {
            file = try TailedFile(path: entry.path, offset: 0, maxLineBytes: config.maxLineBytes,
                                  multiline: makeJoiner(), chunkBytes: chunkBytes, now: now)
        } catch {
            logger.warning("cannot open file", metadata: ["file": "\(entry.path)", "error": "\(error)"])
            return
        }
        guard file.identity == entry.identity else { return } // replaced between scan and open; next scan sees it
        var start: Int64 = 0
        var newContent = false
        if case .file(let saved)? = shipper.checkpoints.saved(key) {
            let size = file.status()?.size ?? 0
            if saved.fingerprint.length <= Int(size), matchesFingerprint(file, saved.fingerprint) {
                if saved.offset <= size {
                    start = saved.offset
                } else {
                    // Truncated while the agent was stopped.
                    guard await recoverTruncated(path: entry.path, position: saved, truncatedFile: file) else { return }
                    newContent = true
                }
            } else {
                // Same inode, other content: rewritten (copytruncate) while stopped.
                guard await recoverTruncated(path: entry.path, position: saved, truncatedFile: file) else { return }
                newContent = true
            }
        } else if !firstScanDone && !ranBefore && config.startAt == .end {
            start = file.status()?.size ?? 0
        }
        file.restart(at: start)
        if newContent {
            shipper.checkpoints.advance(key, to: .file(FilePosition(path: entry.path, offset: 0, fingerprint: file.fingerprint,
                                                                   size: file.lastObservedSize)))
        } else if start > 0 && shipper.checkpoints.saved(key) == nil {
            // Skipped by start_at: remember that, or a restart would read it from the start.
            shipper.checkpoints.advance(key, to: .file(FilePosition(path: entry.path, offset: start, fingerprint: file.fingerprint,
                                                                   size: file.lastObservedSize)))
        }
        files[entry.identity] = file
        encoders[entry.identity] = FileEventEncoder(host: host, path: entry.path, labels: config.labels)
        counters.add(.filesOpened)
        logger.debug("tailing file", metadata: ["file": "\(entry.path)", "offset": "\(start)"])
    }

    private func matchesFingerprint(_ file: TailedFile, _ fingerprint: FileFingerprint) -> Bool {
        let current = file.fingerprint
        if fingerprint.length == current.length { return fingerprint == current }
        guard fingerprint.length <= current.length else { return false }
        return TailedFile.fingerprintPrefix(of: file, length: fingerprint.length) == fingerprint
    }

    /// Checkpointed files not found at startup: renamed while the agent was stopped (a
    /// sibling with the same identity is read to its end) or gone (a gap if unread bytes
    /// were known).
    private func resumeFilesGoneWhileStopped(found: Set<FileIdentity>, now: UInt64) async {
        for (key, value) in shipper.checkpoints.savedKeys(input: config.name) {
            guard case .file(_, let identity) = key, case .file(let saved) = value, !found.contains(identity) else { continue }
            if let siblingPath = Self.sibling(of: saved.path, withIdentity: identity),
               let file = try? TailedFile(path: siblingPath, offset: 0, maxLineBytes: config.maxLineBytes,
                                          multiline: makeJoiner(), chunkBytes: chunkBytes, now: now),
               file.identity == identity, matchesFingerprint(file, saved.fingerprint),
               let size = file.status()?.size, size >= saved.offset {
                file.restart(at: saved.offset)
                file.rotatedAt = now
                files[identity] = file
                encoders[identity] = FileEventEncoder(host: host, path: siblingPath, labels: config.labels)
                counters.add(.filesOpened)
                logger.info("reading a file rotated while the agent was stopped", metadata: ["file": "\(siblingPath)"])
            } else {
                if saved.size > saved.offset {
                    await reportGap(path: saved.path, bytes: saved.size - saved.offset,
                                    reason: "file removed or compressed before it was read to its end")
                }
                shipper.checkpoints.forget(key)
            }
        }
    }

    // MARK: Reading

    /// Reads one chunk of `file` and ships its events; true when it did any work.
    private func pump(_ file: TailedFile, now: UInt64) async -> Bool {
        var lines: [FramedLine] = []
        let status: TailedFile.ReadStatus
        do {
            status = try file.read(maxBytes: chunkBytes, now: now, into: &lines)
        } catch {
            // Closed but not finished: its checkpoint stays, so a restart (or the next scan,
            // if it is still under a matching path) resumes where acknowledged.
            logger.error("cannot read file; closing it", metadata: ["file": "\(file.path)", "error": "\(error)"])
            files[file.identity] = nil
            encoders[file.identity] = nil
            return true
        }
        var worked = false
        switch status {
        case .truncated:
            let emitted = file.readOffset - file.unemittedBytes
            let position = FilePosition(path: file.path, offset: emitted, fingerprint: file.fingerprint, size: file.lastObservedSize)
            guard await recoverTruncated(path: file.path, position: position, truncatedFile: file) else { return true }
            file.restart(at: 0)
            // Queued behind what is in flight: once that is acknowledged, the checkpoint names
            // the new content, so a restart neither recovers nor reports this truncation again.
            shipper.checkpoints.advance(.file(input: config.name, identity: file.identity), to: .file(FilePosition(
                path: file.path, offset: 0, fingerprint: file.fingerprint, size: file.lastObservedSize)))
            return true
        case .data(let count):
            worked = count > 0
        case .endOfFile:
            break
        }
        file.flushPending(now: now, endOfInput: false, into: &lines)
        var finished = false
        if case .endOfFile = status, let rotatedAt = file.rotatedAt {
            let idle = now &- max(rotatedAt, file.lastDataAt)
            if idle >= config.rotateWaitNanoseconds || file.status()?.linked == false {
                file.flushPending(now: now, endOfInput: true, into: &lines)
                finished = true
            }
        }
        if !lines.isEmpty {
            worked = true
            // Not shipped (shutting down): keep the file and its checkpoint; it is read
            // again after the restart.
            guard await ship(lines, of: file) else { return true }
        }
        if finished {
            await release(file, now: now)
            worked = true
        }
        return worked
    }

    /// Ships lines in batches of at most a quarter of the delivery window, so that a
    /// large read cannot slip past the window in one piece. False when shutdown stopped it.
    private func ship(_ lines: [FramedLine], of file: TailedFile) async -> Bool {
        for slice in context.windowSlices(count: lines.count, bytes: { lines[$0].bytes.count }) {
            guard await shipBatch(lines[slice], of: file) else { return false }
        }
        return true
    }

    private func shipBatch(_ lines: ArraySlice<FramedLine>, of file: TailedFile) async -> Bool {
        guard let encoder = encoders[file.identity] else { return true }
        let timestamp = currentTimestamp()
        let milliseconds = timestamp.millisecondsSinceEpoch
        let prefix = FileEventEncoder.prefix(for: timestamp)
        let key = Array(host.utf8)
        var records: [OutgoingRecord] = []
        records.reserveCapacity(lines.count)
        for line in lines {
            if line.part != nil { counters.add(.linesSplit) }
            records.append(OutgoingRecord(topic: config.topic, key: key, value: encoder.encode(line, prefix: prefix),
                                          timestampMilliseconds: milliseconds))
        }
        let position = FilePosition(path: file.path, offset: lines.last!.endOffset, fingerprint: file.fingerprint,
                                    size: file.lastObservedSize)
        return await shipper.ship(records, key: .file(input: config.name, identity: file.identity), position: .file(position))
    }

    private func release(_ file: TailedFile, now: UInt64) async {
        files[file.identity] = nil
        encoders[file.identity] = nil
        shipper.checkpoints.finish(.file(input: config.name, identity: file.identity))
        counters.add(.filesReleased)
        logger.debug("finished rotated file", metadata: ["file": "\(file.path)"])
    }

    // MARK: Truncation (copytruncate) and gaps

    /// The file at `path` lost its content past `position.offset` (copytruncate). Reads
    /// the rest from the rotated copy beside it when there is one; otherwise reports a gap
    /// for the bytes known to be lost.
    /// False when shutdown interrupted it (nothing more may be assumed done).
    @discardableResult
    private func recoverTruncated(path: String, position: FilePosition, truncatedFile: TailedFile) async -> Bool {
        let now = monotonicNanoseconds()
        if let copyPath = Self.copy(of: path, fingerprint: position.fingerprint, atLeast: position.offset, excluding: truncatedFile.identity),
           let copy = try? TailedFile(path: copyPath, offset: position.offset, maxLineBytes: config.maxLineBytes,
                                      multiline: makeJoiner(), chunkBytes: chunkBytes, now: now) {
            // Read the copy's remainder as events of the truncated file (its offsets are the old content's).
            while true {
                if Task.isCancelled { return false }
                var lines: [FramedLine] = []
                let status: TailedFile.ReadStatus
                do { status = try copy.read(maxBytes: chunkBytes, now: now, into: &lines) } catch {
                    let lost = (copy.status()?.size ?? copy.readOffset) - copy.readOffset
                    await reportGap(path: path, bytes: max(lost, 1), reason: "rotated copy \(copyPath) unreadable: \(error)")
                    return true
                }
                if case .data = status {} else {
                    copy.flushPending(now: now, endOfInput: true, into: &lines)
                    if !lines.isEmpty {
                        guard await shipRecovered(lines, path: path, position: position, identity: truncatedFile.identity) else { return false }
                    }
                    break
                }
                if !lines.isEmpty {
                    guard await shipRecovered(lines, path: path, position: position, identity: truncatedFile.identity) else { return false }
                }
            }
            logger.info("file was truncated; read its unread end from the rotated copy", metadata: [
                "file": "\(path)", "copy": "\(copyPath)", "from_offset": "\(position.offset)"])
            return true
        }
        let lost = position.size - position.offset
        if lost > 0 {
            await reportGap(path: path, bytes: lost, reason: "file truncated before it was read to its end")
        }
        return true
    }

    /// Recovered lines go out in the truncated file's stream with positions in its old
    /// content (old fingerprint), so its checkpoint cannot pass them before they are
    /// acknowledged, and a restart in between recovers from the copy again.
    private func shipRecovered(_ lines: [FramedLine], path: String, position: FilePosition, identity: FileIdentity) async -> Bool {
        let encoder = FileEventEncoder(host: host, path: path, labels: config.labels)
        let timestamp = currentTimestamp()
        let key = Array(host.utf8)
        let records = lines.map {
            OutgoingRecord(topic: config.topic, key: key, value: encoder.encode($0, timestamp: timestamp),
                           timestampMilliseconds: timestamp.millisecondsSinceEpoch)
        }
        var advanced = position
        advanced.offset = lines.last!.endOffset
        return await shipper.ship(records, key: .file(input: config.name, identity: identity), position: .file(advanced))
    }

    private func reportGap(path: String, bytes: Int64, reason: String) async {
        await context.reportGap("\(bytes) bytes of \(path) were not read (\(reason))", bytes: bytes, topic: config.topic,
                                labels: config.labels, fields: [LogField("file", .string(path))])
    }

    private func makeJoiner() -> MultilineJoiner? {
        guard let multiline = config.multiline, let multilinePattern else { return nil }
        return MultilineJoiner(startPattern: multilinePattern, maxBytes: multiline.maxBytes,
                               flushTimeoutNanoseconds: multiline.timeoutNanoseconds)
    }

    // MARK: Folder helpers

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Paths in the same folder as `path` (rotated copies live there).
    static func siblings(of path: String) -> [String] {
        let directory = directory(of: path)
        return AgentFiles.entryNames(in: directory).map { directory == "/" ? "/" + $0 : directory + "/" + $0 }
    }

    static func sibling(of path: String, withIdentity identity: FileIdentity) -> String? {
        siblings(of: path).first { candidate in
            var status = stat()
            return stat(candidate, &status) == 0 && FileIdentity(status) == identity
        }
    }

    /// A rotated copy of a truncated file: another regular file beside it that starts
    /// with the same bytes and is at least `offset` long.
    static func copy(of path: String, fingerprint: FileFingerprint, atLeast offset: Int64, excluding identity: FileIdentity) -> String? {
        guard fingerprint.length > 0 else { return nil }
        for candidate in siblings(of: path) where candidate != path {
            var status = stat()
            guard stat(candidate, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, Int64(status.st_size) >= offset,
                  FileIdentity(status) != identity else { continue }
            let fd = Glibc.open(candidate, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            let matches = fingerprint.matches(fd: fd)
            close(fd)
            if matches { return candidate }
        }
        return nil
    }
}
