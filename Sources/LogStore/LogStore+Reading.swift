import SluiceModel

extension LogStore {
    /// What a read sees: the parts and head streams at one instant.
    struct Snapshot {
        var parts: [LogPart]
        var heads: [LogStoreHead.Stream]
    }

    func snapshot(_ matchers: [LabelMatcher], start: Int64, end: Int64) -> Snapshot {
        state.withLock { state in
            var heads = state.head.streams(matching: matchers, start: start, end: end)
            for head in state.flushing { heads += head.streams(matching: matchers, start: start, end: end) }
            return Snapshot(parts: state.parts, heads: heads)
        }
    }

    /// Visits the selected entries of parts and head in `LogEntry.precedes` order (or its
    /// reverse), skipping parts and blocks by time, stream and token bloom filter.
    public func scan(_ scan: LogScan, visit: (ScannedEntry) throws -> Bool) throws {
        let start = scan.start.nanosecondsSinceEpoch
        let end = scan.end.nanosecondsSinceEpoch
        guard start < end else { return }
        let snapshot = snapshot(scan.matchers, start: start, end: end)
        let needles = scan.requiredSubstrings.map(TokenHasher.interiorTokens(of:)).filter { !$0.isEmpty }

        var skippedTime = 0, skippedStream = 0, skippedBloom = 0
        var candidates: [(part: LogPart, block: Int)] = []
        var streamKeys: [String: Labels] = [:]
        for part in snapshot.parts {
            guard part.overlaps(start: scan.start, end: scan.end) else {
                skippedTime += part.index.blocks.count
                continue
            }
            let matches = part.matchingStreams(scan.matchers)
            for (number, block) in part.index.blocks.enumerated() {
                if !matches[block.stream] { skippedStream += 1; continue }
                if block.maxTime < start || block.minTime >= end { skippedTime += 1; continue }
                if !needles.allSatisfy({ $0.allSatisfy(block.bloom.mayContain) }) { skippedBloom += 1; continue }
                candidates.append((part, number))
                let key = part.sortKeys[block.stream]
                if streamKeys[key] == nil { streamKeys[key] = part.index.streams[block.stream] }
            }
        }
        var headEntries: [(labels: Labels, key: String, entries: [LogEntry])] = []
        for stream in snapshot.heads {
            let entries = stream.entries(start: start, end: end)
            guard !entries.isEmpty else { continue }
            let key = stream.labels.sortKey
            if streamKeys[key] == nil { streamKeys[key] = stream.labels }
            headEntries.append((stream.labels, key, entries))
        }
        blocksSkippedByTime.add(skippedTime, ordering: .relaxed)
        blocksSkippedByStream.add(skippedStream, ordering: .relaxed)
        blocksSkippedByBloom.add(skippedBloom, ordering: .relaxed)

        let orderedKeys = streamKeys.keys.sorted()
        var rankOf: [String: Int32] = [:]
        for (rank, key) in orderedKeys.enumerated() { rankOf[key] = Int32(rank) }
        let labels = orderedKeys.map { streamKeys[$0]! }
        var merger = ScanMerger(
            scan: scan, labels: labels,
            blocks: candidates.map { .init(part: $0.part, block: $0.block,
                                           rank: rankOf[$0.part.sortKeys[$0.part.index.blocks[$0.block].stream]]!) },
            heads: headEntries.map { .init(entries: $0.entries, rank: rankOf[$0.key]!) })
        defer { blocksScanned.add(merger.blocksDecoded, ordering: .relaxed) }
        try merger.run(visit)
    }

    /// Distinct stream label sets with entries in `[start, end)` matching every matcher,
    /// sorted by `Labels.sortKey`. Only blocks straddling the range are read.
    public func streams(matching matchers: [LabelMatcher], start: Timestamp, end: Timestamp) throws -> [Labels] {
        let low = start.nanosecondsSinceEpoch
        let high = end.nanosecondsSinceEpoch
        guard low < high else { return [] }
        let snapshot = snapshot(matchers, start: low, end: high)
        var found: [String: Labels] = [:]
        let codec = ZstdColumnCodec()
        for part in snapshot.parts where part.overlaps(start: start, end: end) {
            let matches = part.matchingStreams(matchers)
            for (stream, labels) in part.index.streams.enumerated() where matches[stream] && found[part.sortKeys[stream]] == nil {
                let bounds = part.streamBounds[stream]
                guard bounds.min < high, bounds.max >= low else { continue }
                if try part.index.blocks.contains(where: { block in
                    guard block.stream == stream, block.minTime < high, block.maxTime >= low else { return false }
                    if block.minTime >= low && block.maxTime < high { return true }
                    // A block straddling the range: its timestamps decide.
                    let decoded = try DecodedBlock.read(block, from: part.file, needsLines: false, metadataNames: [],
                                                        format: part.index.format,
                                                        partMetadataNames: part.index.metadataNames, codec: codec)
                    return decoded.rows.contains { $0.time >= low && $0.time < high }
                }) {
                    found[part.sortKeys[stream]] = labels
                }
            }
        }
        for stream in snapshot.heads where stream.hasEntries(start: low, end: high) {
            found[stream.labels.sortKey] = stream.labels
        }
        return found.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Stream label names of streams with entries in `[start, end)`, sorted.
    public func labelNames(start: Timestamp, end: Timestamp) throws -> [String] {
        var names = Set<String>()
        for labels in try streams(matching: [], start: start, end: end) {
            for pair in labels { names.insert(pair.name) }
        }
        return names.sorted()
    }

    /// Values of stream label `name` among streams matching `matchers` with entries in
    /// `[start, end)`, sorted.
    public func labelValues(_ name: String, matchers: [LabelMatcher], start: Timestamp, end: Timestamp) throws -> [String] {
        var values = Set<String>()
        for labels in try streams(matching: matchers, start: start, end: end) {
            if let value = labels[name] { values.insert(value) }
        }
        return values.sorted()
    }
}
