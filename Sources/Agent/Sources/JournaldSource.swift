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
    let host: String
    let shipper: Shipper
    let counters: AgentCounters
    let logger: Logger
    private let location: JournalLocation
    private let filter: JournalFilter
    private let maxEntriesPerBatch = 2000
    private let idleSleepNanoseconds: UInt64 = 200_000_000
    private let reopenIntervalNanoseconds: UInt64 = 10_000_000_000

    init(config: JournaldInputConfig, host: String, shipper: Shipper, counters: AgentCounters, logger: Logger) throws {
        self.config = config
        self.host = host
        self.shipper = shipper
        self.counters = counters
        var logger = logger
        logger[metadataKey: "input"] = "\(config.name)"
        self.logger = logger
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
                    try position(reader)
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

    private func position(_ reader: JournalReader) throws {
        if case .journal(let cursor)? = shipper.checkpoints.saved(key) {
            if try reader.seek(afterCursor: cursor) { return }
            // The entry is gone (vacuumed): start from the oldest left rather than skip any.
            logger.warning("saved journal cursor not found; reading from the oldest entry", metadata: ["cursor": "\(cursor)"])
            try reader.seekHead()
        } else if config.startAt == .beginning {
            try reader.seekHead()
        } else {
            try reader.seekTail()
        }
    }

    private func follow(_ reader: JournalReader) async throws {
        var unsavedCursor: String?
        var lastAdvance = monotonicNanoseconds()
        let hostKey = Array(host.utf8)
        while !Task.isCancelled {
            let batch = try reader.next(maxEntries: maxEntriesPerBatch)
            if !batch.entries.isEmpty, let cursor = batch.lastCursor {
                counters.add(.journalEntries, batch.entries.count)
                let records = batch.entries.map { entry in
                    OutgoingRecord(topic: config.topic, key: hostKey,
                                   value: entry.logEvent(host: host, labels: config.labels).encodeJSON(),
                                   timestampMilliseconds: entry.realtime.millisecondsSinceEpoch)
                }
                guard await shipper.ship(records, key: key, position: .journal(cursor: cursor)) else { return }
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
