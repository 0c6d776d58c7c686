import CommitLog
import SluiceModel

extension LogStore {
    /// Removes parts whose newest entry is older than `retentionNanoseconds`, then the parts
    /// with the oldest newest entry while the total exceeds `retentionBytes`. The marks stay.
    /// Returns how many parts were removed.
    @discardableResult
    public func applyRetention() throws -> Int {
        // Under the flush gate, so that a compaction never resurrects a part removed meanwhile.
        try flushGate.withLock { _ in try applyRetentionLocked() }
    }

    func applyRetentionLocked() throws -> Int {
        let cutoff = configuration.retentionNanoseconds.map { now().nanosecondsSinceEpoch &- $0 }
        let removed = state.withLock { state -> [LogPart] in
            var removed: [LogPart] = []
            var kept: [LogPart] = []
            for part in state.parts {
                if let cutoff, part.index.maxTime < cutoff { removed.append(part) } else { kept.append(part) }
            }
            if let limit = configuration.retentionBytes {
                var total = kept.reduce(0) { $0 + $1.size }
                let oldestFirst = kept.sorted { ($0.index.maxTime, $0.sequence) < ($1.index.maxTime, $1.sequence) }
                var dropped = Set<UInt64>()
                for part in oldestFirst where total > limit {
                    total -= part.size
                    dropped.insert(part.sequence)
                    removed.append(part)
                }
                kept.removeAll { dropped.contains($0.sequence) }
            }
            state.parts = kept
            return removed
        }
        // Scans holding a removed part keep reading it through its open descriptor.
        for part in removed { try FileSystem.remove(partsDirectory + "/" + part.name) }
        if !removed.isEmpty { try FileSystem.syncDirectory(partsDirectory) }
        return removed.count
    }
}
