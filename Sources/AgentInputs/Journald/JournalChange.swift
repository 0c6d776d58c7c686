/// What `JournalReader.wait` saw happen to the journal.
public enum JournalChange: Sendable, Equatable {
    /// The timeout passed with no change.
    case none
    /// Entries were appended to files already open.
    case append
    /// Files were added or removed (rotation, vacuuming, a journal appearing): positions
    /// still hold, but anything cached about the set of files is stale.
    case invalidate
}
