import CommitLog
import SluiceModel

extension LogStore {
    /// Merges the oldest small parts into one when `compactionMinimumParts` of them exist
    /// (flushes do this too). Returns whether it merged.
    ///
    /// Crash safety: the merged part lists the parts it replaces and is durable before they
    /// are deleted; recovery deletes replaced parts that are still there.
    @discardableResult
    public func compact() throws -> Bool {
        try flushGate.withLock { _ in try compactLocked() }
    }

    func compactLocked() throws -> Bool {
        guard let minimum = configuration.compactionMinimumParts else { return false }
        let smallBytes = max(1, configuration.maxHeadBytes / 4)
        guard let (merging, sequence) = state.withLock({ state -> ([LogPart], UInt64)? in
            var merging: [LogPart] = []
            var bytes = 0
            for part in state.parts.sorted(by: { $0.sequence < $1.sequence }) where part.lineBytes < smallBytes {
                guard bytes + part.lineBytes <= configuration.maxHeadBytes else { break }
                merging.append(part)
                bytes += part.lineBytes
            }
            guard merging.count >= max(2, minimum) else { return nil }
            defer { state.nextSequence += 1 }
            return (merging, state.nextSequence)
        }) else { return false }

        let codec = ZstdColumnCodec()
        var streams: [PartWriter.StreamEntries] = []
        var position: [Labels: Int] = [:]
        var marks: [TopicPartition: Int64] = [:]
        for part in merging {
            marks.merge(part.index.highWater) { max($0, $1) }
            for (labels, entries) in try part.allEntries(codec: codec) where !entries.isEmpty {
                if let existing = position[labels] {
                    streams[existing].chunks.append(entries)
                    streams[existing].isSorted = false
                } else {
                    position[labels] = streams.count
                    streams.append(.init(labels: labels, chunks: [entries], isSorted: true))
                }
            }
        }
        let (bytes, index) = try PartWriter.build(streams: streams, highWater: marks, replaces: merging.map(\.sequence),
                                                  blockTargetBytes: configuration.blockTargetBytes,
                                                  level: configuration.compressionLevel, expectedBytes: merging.reduce(0) { $0 + $1.size })
        let merged = try writePartFile(bytes, index: index, sequence: sequence)
        let replaced = Set(merging.map(\.sequence))
        state.withLock { state in
            state.parts.removeAll { replaced.contains($0.sequence) }
            state.parts.append(merged)
        }
        // Scans holding a merged part keep reading it through its open descriptor.
        for part in merging { try FileSystem.remove(partsDirectory + "/" + part.name) }
        try FileSystem.syncDirectory(partsDirectory)
        return true
    }
}
