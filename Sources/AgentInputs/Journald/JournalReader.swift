import CSystemd
import Glibc
import SluiceModel

/// Reads journal entries through libsystemd's `sd_journal` (no `journalctl` process), filters
/// them in Swift and hands them out in batches with the cursor of the last entry examined.
///
/// Not thread-safe: one task owns a reader and calls it from one thread at a time, never
/// concurrently (an `sd_journal` handle has no locking, and must not be used after `fork`).
/// `wait` blocks its thread; run it with a bounded timeout off the cooperative pool.
///
/// Rotation and vacuuming are libsystemd's business: for `.system` and `.directory` it
/// watches the folders (inotify) and opens or drops files as `wait` reports changes, and
/// positions survive that because they are kept by sequence number, boot and timestamps,
/// not by file.
public final class JournalReader: @unchecked Sendable {
    public let location: JournalLocation
    public let filter: JournalFilter
    private let journal: OpaquePointer
    private let matcher: JournalFilterMatcher
    /// Set after a seek whose cursor was gone: libsystemd then sits on the nearest later
    /// entry, which `next` has not handed out yet.
    private var currentEntryUnread = false

    /// Opens the journal. A location with no journal files (`.system` in a container, an
    /// empty folder) opens fine with `hasJournal` false; a folder or file that does not
    /// exist, or a `maxPriority` outside 0…7, throws `InputError`.
    public init(location: JournalLocation, filter: JournalFilter = JournalFilter()) throws {
        matcher = try JournalFilterMatcher(filter)
        var handle: OpaquePointer?
        let result: Int32
        switch location {
        case .system:
            result = sd_journal_open(&handle, Int32(SD_JOURNAL_LOCAL_ONLY))
        case .directory(let path):
            result = sd_journal_open_directory(&handle, path, 0)
        case .files(let paths):
            guard !paths.isEmpty else { throw InputError("journald: the list of journal files is empty") }
            let cPaths = paths.map { strdup($0) }
            defer { cPaths.forEach { free($0) } }
            var argv: [UnsafePointer<CChar>?] = cPaths.map { UnsafePointer($0) } + [nil]
            result = argv.withUnsafeMutableBufferPointer { sd_journal_open_files(&handle, $0.baseAddress, 0) }
        }
        guard result >= 0, let handle else {
            throw InputError("journald: cannot open \(location): \(Self.errorText(result))")
        }
        journal = handle
        self.location = location
        self.filter = filter
        // 0 = no limit: the default (64 KiB) would cut long messages short.
        _ = sd_journal_set_data_threshold(journal, 0)
        // Set up the inotify watches now rather than at the first wait, so the first wait
        // really waits; a failure here (inotify limits) shows again, with its error, in wait.
        _ = sd_journal_get_fd(journal)
    }

    deinit { sd_journal_close(journal) }

    /// False while no journal file is open at all (a container without journald). The agent
    /// says so once and keeps waiting: for `.system` and `.directory`, files that appear
    /// later are picked up by `wait`.
    public var hasJournal: Bool {
        var bytes: UInt64 = 0
        return sd_journal_get_usage(journal, &bytes) >= 0 && bytes > 0
    }

    /// Positions before the oldest entry.
    public func seekHead() throws {
        currentEntryUnread = false
        try check(sd_journal_seek_head(journal), "seek to the head")
    }

    /// Positions after the newest entry, so `next` returns only entries appended later.
    public func seekTail() throws {
        currentEntryUnread = false
        try check(sd_journal_seek_tail(journal), "seek to the tail")
        // After seek_tail libsystemd's next() returns the newest entry again; stepping back
        // onto it makes next() start after it.
        let stepped = sd_journal_previous(journal)
        try check(stepped, "seek to the tail")
        if stepped == 0 {
            // No entry yet: everything that arrives is "later", so read it from the start
            // (from the tail, next() would jump to the newest of them).
            try check(sd_journal_seek_head(journal), "seek to the head")
        }
    }

    /// The cursor of the entry the reader stands on (after `seekTail`, the newest one), or
    /// nil when it stands on none (an empty journal, or before the head).
    public func positionCursor() -> String? {
        try? currentCursor()
    }

    /// Positions so that `next` returns the entry after the cursor's, and says whether that
    /// entry was found (confirmed with `sd_journal_test_cursor`).
    ///
    /// When it returns false (the entry was vacuumed, or the cursor comes from another
    /// journal), the reader is left before the first entry libsystemd places after the
    /// cursor (by sequence number in the same journal, else by boot and monotonic time, else
    /// by wall-clock time), so the caller may read on from there, as `journalctl
    /// --after-cursor` does, or seek to the head or tail instead. A cursor that is not
    /// cursor syntax throws.
    public func seek(afterCursor cursor: String) throws -> Bool {
        currentEntryUnread = false
        let seek = sd_journal_seek_cursor(journal, cursor)
        guard seek >= 0 else {
            throw InputError("journald: cannot seek to cursor '\(cursor)' in \(location): \(Self.errorText(seek))")
        }
        let stepped = sd_journal_next(journal)
        try check(stepped, "read after cursor '\(cursor)'")
        // Nothing at or after the cursor: next() returns whatever is appended after it.
        guard stepped > 0 else { return false }
        let same = sd_journal_test_cursor(journal, cursor)
        try check(same, "test cursor '\(cursor)'")
        if same > 0 { return true }
        currentEntryUnread = true
        return false
    }

    /// Examines up to `maxEntries` entries after the current position and returns those the
    /// filter keeps, plus the cursor of the last one examined. Bounding what is examined,
    /// not what is kept, bounds the work of one call even when the filter rejects everything.
    public func next(maxEntries: Int) throws -> JournalReadBatch {
        precondition(maxEntries > 0, "maxEntries must be positive")
        var batch = JournalReadBatch()
        var lastExaminedUnmatched = false
        while batch.examined < maxEntries {
            if currentEntryUnread {
                currentEntryUnread = false
            } else {
                let stepped = sd_journal_next(journal)
                if stepped == 0 {
                    batch.reachedEnd = true
                    break
                }
                if stepped < 0 {
                    // Hand out what was read; the error comes back on the next call.
                    if batch.examined > 0 { break }
                    try check(stepped, "read the next entry")
                }
            }
            batch.examined += 1
            if matcher.isEmpty || currentEntryMatches() {
                if let entry = try? readCurrentEntry() {
                    batch.entries.append(entry)
                    batch.lastCursor = entry.cursor
                    lastExaminedUnmatched = false
                    continue
                }
                batch.unreadable += 1
            }
            lastExaminedUnmatched = true
        }
        // libsystemd stays on the last entry examined, also after next() found no more.
        if lastExaminedUnmatched, let cursor = try? currentCursor() {
            batch.lastCursor = cursor
        }
        return batch
    }

    /// Blocks until the journal changes or the timeout passes (`UInt64.max`: no timeout),
    /// and lets libsystemd take in the change (new entries, files added by rotation, files
    /// removed).
    public func wait(timeoutMicroseconds: UInt64) throws -> JournalChange {
        let result = sd_journal_wait(journal, timeoutMicroseconds)
        try check(result, "wait for changes")
        switch result {
        case Int32(SD_JOURNAL_APPEND): return .append
        case Int32(SD_JOURNAL_INVALIDATE): return .invalidate
        default: return .none
        }
    }

    // MARK: - Current entry

    /// Runs the filter over the current entry's fields in place.
    private func currentEntryMatches() -> Bool {
        var progress = matcher.start()
        forEachField { name, value in
            matcher.observe(name: name, value: value, &progress)
            return !progress.passed
        }
        return progress.passed
    }

    private func readCurrentEntry() throws -> JournalEntry {
        let cursor = try currentCursor()
        var microseconds: UInt64 = 0
        try check(sd_journal_get_realtime_usec(journal, &microseconds), "read the timestamp of \(cursor)")
        var fields: [(name: String, value: [UInt8])] = []
        let failure = forEachField { name, value in
            fields.append((String(decoding: name, as: UTF8.self), Array(value)))
            return true
        }
        if let failure { try check(failure, "read the fields of \(cursor)") }
        return JournalEntry(cursor: cursor, realtime: Timestamp(microsecondsSinceEpoch: microseconds), fields: fields)
    }

    /// Calls `body` with each field's name and value, in place, until it returns false.
    /// Fields libsystemd cannot decode (corrupt, or compressed with an algorithm this
    /// libsystemd lacks) are skipped. Returns a negative errno on failure, nil otherwise.
    @discardableResult
    private func forEachField(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) -> Int32? {
        sd_journal_restart_data(journal)
        var data: UnsafeRawPointer?
        var length = 0
        while true {
            let result = sd_journal_enumerate_available_data(journal, &data, &length)
            if result <= 0 { return result < 0 ? result : nil }
            guard let data else { continue }
            // "NAME=value", no terminating NUL.
            let field = UnsafeRawBufferPointer(start: data, count: length)
            guard let equals = field.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = UnsafeRawBufferPointer(rebasing: field[..<equals])
            let value = UnsafeRawBufferPointer(rebasing: field[(equals + 1)...])
            if !body(name, value) { return nil }
        }
    }

    private func currentCursor() throws -> String {
        var pointer: UnsafeMutablePointer<CChar>?
        try check(sd_journal_get_cursor(journal, &pointer), "read a cursor")
        guard let pointer else { throw InputError("journald: libsystemd returned no cursor in \(location)") }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    // MARK: - Errors

    private func check(_ result: Int32, _ action: String) throws {
        if result < 0 {
            throw InputError("journald: cannot \(action) in \(location): \(Self.errorText(result))")
        }
    }

    /// libsystemd returns negative errno values.
    private static func errorText(_ result: Int32) -> String {
        String(cString: strerror(-result))
    }
}
