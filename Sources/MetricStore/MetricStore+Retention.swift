import CommitLog

extension MetricStore {
    /// Removes blocks whose newest sample is older than `now - retentionMilliseconds`, then
    /// the blocks with the oldest newest sample while the total exceeds `retentionBytes`.
    /// The marks stay. Returns how many blocks were removed.
    @discardableResult
    public func applyRetention() throws -> Int {
        try flushGate.withLock { _ in
            let cutoff = configuration.retentionMilliseconds.map { now().millisecondsSinceEpoch &- $0 }
            let removed = state.withLock { state -> [LoadedBlock] in
                var removed: [LoadedBlock] = []
                var kept: [LoadedBlock] = []
                for loaded in state.blocks {
                    if let cutoff, loaded.block.maxTime < cutoff { removed.append(loaded) } else { kept.append(loaded) }
                }
                if let limit = configuration.retentionBytes {
                    var total = kept.reduce(0) { $0 + $1.block.size }
                    let oldestFirst = kept.sorted { ($0.block.maxTime, $0.block.sequence) < ($1.block.maxTime, $1.block.sequence) }
                    var dropped = Set<UInt64>()
                    for loaded in oldestFirst where total > limit {
                        total -= loaded.block.size
                        dropped.insert(loaded.block.sequence)
                        removed.append(loaded)
                    }
                    kept.removeAll { dropped.contains($0.block.sequence) }
                }
                state.blocks = kept
                return removed
            }
            // Reads holding a removed block keep reading it through its open descriptor.
            for loaded in removed { try FileSystem.remove(blocksDirectory + "/" + loaded.block.name) }
            if !removed.isEmpty { try FileSystem.syncDirectory(blocksDirectory) }
            return removed.count
        }
    }
}
