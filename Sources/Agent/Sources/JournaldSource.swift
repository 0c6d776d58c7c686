import AgentInputs
import Logging
import SluiceModel

/// Runs one `type: journald` input: reads the journal through libsystemd, ships matching
/// entries as log events, and moves its cursor checkpoint only past acknowledged
/// entries. Entries the filters drop still move the cursor (saved every
/// `checkpoint_interval`), so a restart does not scan them again. Where there is no
/// journal at all (a container), it says so once and looks again now and then.
///
/// Not thread-safe: one task runs it.
final class JournaldSource {
    let config: JournaldInputConfig
    let context: SourceContext
    private var host: String { context.host }
    private var shipper: Shipper { context.shipper }
    private var counters: AgentCounters { context.counters }
    private var logger: Logger { context.logger }
    private let location: JournalLocation
    private let filter: JournalFilter
    private let maxEntriesPerBatch = 2000
    private let idleSleepNanoseconds: UInt64 = 200_000_000
    private let reopenIntervalNanoseconds: UInt64 = 10_000_000_000

    init(config: JournaldInputConfig, context: SourceContext) throws {
        self.config = config
        self.context = context
        if let directory = config.directory {
            location = .directory(directory)
        } else if let files = config.files {
            location = .files(files)
        } else {
            location = .system
        }
        filter = JournalFilter(units: config.units, identifiers: config.identifiers, maxPriority: config.maxPriority)
    }

    private var key: CheckpointKey { .journal(input: config.name) }

    func run() async {
        var saidMissing = false
        while !Task.isCancelled {
            do {
                let reader = try JournalReader(location: location, filter: filter)
                if reader.hasJournal {
                    try await position(reader)
                    logger.info("reading \(location)")
                    try await follow(reader)
                    return
                }
                if !saidMissing {
                    logger.notice("no journal found at \(location); waiting for one to appear")
                    saidMissing = true
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("journal input failed; trying again", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(nanoseconds: reopenIntervalNanoseconds)
        }
    }

    private func position(_ reader: JournalReader) async throws {
        let ranBefore = shipper.checkpoints.saved(.input(config.name)) != nil
        defer { if !ranBefore { shipper.checkpoints.advance(.input(config.name), to: .started) } }
        if case .journal(let cursor)? = shipper.checkpoints.saved(key) {
            if try reader.seek(afterCursor: cursor) { return }
            // The entry is gone (vacuumed while the agent was stopped): read on from the
            // first entry after it, and say that some may be missing.
            logger.warning("saved journal cursor not found; entries may have been vacuumed before they were read",
                           metadata: ["cursor": "\(cursor)"])
            await reportGap("the saved journal cursor is gone (journal vacuumed or rotated away while the agent was stopped)")
        } else if config.startAt == .beginning || ranBefore {
            // Ran before without a cursor: the journal was empty then, so all of it is new.
            try reader.seekHead()
        } else {
            try reader.seekTail()
            // Remember where "the end" was, or a restart before the first entry would skip
            // whatever arrived in between.
            if let cursor = reader.positionCursor() { shipper.checkpoints.advance(key, to: .journal(cursor: cursor)) }
        }
    }

    private func reportGap(_ reason: String) async {
        await context.reportGap(reason, bytes: nil, topic: config.topic, labels: config.labels)
    }

    private func follow(_ reader: JournalReader) async throws {
        var unsavedCursor: String?
        var lastAdvance = monotonicNanoseconds()
        let hostKey = Array(host.utf8)
        while !Task.isCancelled {
            let batch = try reader.next(maxEntries: maxEntriesPerBatch)
            if batch.unreadable > 0 {
                logger.warning("journal entries could not be read (corrupt); skipped", metadata: ["entries": "\(batch.unreadable)"])
                await reportGap("\(batch.unreadable) journal entries could not be read (corrupt) and were skipped")
            }
            if !batch.entries.isEmpty, let cursor = batch.lastCursor {
                counters.add(.journalEntries, batch.entries.count)
                let records = batch.entries.map { entry in
                    OutgoingRecord(topic: config.topic, key: hostKey,
                                   value: entry.logEvent(host: host, labels: config.labels).encodeJSON(),
                                   timestampMilliseconds: entry.realtime.millisecondsSinceEpoch)
                }
                // Sub-batches of at most a quarter window each; only the last carries the cursor
                // (a restart in between re-reads the whole read, which is at-least-once).
                for slice in context.windowSlices(count: records.count, bytes: { records[$0].value.count }) {
                    let position: CheckpointValue? = slice.upperBound == records.count ? .journal(cursor: cursor) : nil
                    guard await shipper.ship(Array(records[slice]), key: key, position: position) else { return }
                }
                unsavedCursor = nil
            } else if let cursor = batch.lastCursor {
                unsavedCursor = cursor
            }
            let now = monotonicNanoseconds()
            if let cursor = unsavedCursor, now &- lastAdvance >= config.checkpointIntervalNanoseconds {
                shipper.checkpoints.advance(key, to: .journal(cursor: cursor))
                unsavedCursor = nil
                lastAdvance = now
            }
            if batch.reachedEnd {
                // sd_journal_wait blocks its thread; poll without blocking and sleep instead.
                if try reader.wait(timeoutMicroseconds: 0) == .none {
                    try await Task.sleep(nanoseconds: idleSleepNanoseconds)
                }
            }
        }
    }
}
