/// What one `JournalReader.next(maxEntries:)` call found.
public struct JournalReadBatch: Sendable {
    /// The entries examined that match the reader's filter, oldest first.
    public var entries: [JournalEntry]
    /// The cursor of the last entry examined, whether it matched or not; nil if none was.
    /// Checkpointing this (not the last entry's cursor) keeps a restart from rescanning a
    /// long run of entries the filter rejects.
    public var lastCursor: String?
    /// Entries examined, matching or not (at most `maxEntries`).
    public var examined: Int
    /// True when the reader reached the end of the journal: `wait` before reading again.
    public var reachedEnd: Bool
    /// Matching entries skipped because libsystemd could not read them (a corrupt entry
    /// must not stall the input forever).
    public var unreadable: Int

    public init(entries: [JournalEntry] = [], lastCursor: String? = nil, examined: Int = 0,
                reachedEnd: Bool = false, unreadable: Int = 0) {
        self.entries = entries
        self.lastCursor = lastCursor
        self.examined = examined
        self.reachedEnd = reachedEnd
        self.unreadable = unreadable
    }
}
