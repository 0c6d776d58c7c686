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

    /// What one scan reads: candidate blocks and head streams, each with the rank of its
    /// stream among the scan's streams in `Labels.sortKey` order (`labels[rank]`).
    struct ScanPlan {
        var blocks: [ScanMerger.BlockCandidate]
        var heads: [(stream: LogStoreHead.Stream, rank: Int32)]
        var labels: [Labels]
    }

    /// Picks the blocks and head streams `scan` may need: parts and blocks by time and
    /// stream, blocks also by token bloom filter when the scan has required substrings.
    func plan(_ scan: LogScan) -> ScanPlan {
        let start = scan.start.nanosecondsSinceEpoch
        let end = scan.end.nanosecondsSinceEpoch
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
        var heads: [(stream: LogStoreHead.Stream, key: String)] = []
        for stream in snapshot.heads {
            let key = stream.labels.sortKey
            if streamKeys[key] == nil { streamKeys[key] = stream.labels }
            heads.append((stream, key))
        }
        blocksSkippedByTime.add(skippedTime, ordering: .relaxed)
        blocksSkippedByStream.add(skippedStream, ordering: .relaxed)
        blocksSkippedByBloom.add(skippedBloom, ordering: .relaxed)

        let orderedKeys = streamKeys.keys.sorted()
        var rankOf: [String: Int32] = [:]
        for (rank, key) in orderedKeys.enumerated() { rankOf[key] = Int32(rank) }
        return ScanPlan(
            blocks: candidates.map { .init(part: $0.part, block: $0.block,
                                           rank: rankOf[$0.part.sortKeys[$0.part.index.blocks[$0.block].stream]]!) },
            heads: heads.map { ($0.stream, rankOf[$0.key]!) },
            labels: orderedKeys.map { streamKeys[$0]! })
    }

    /// Visits the selected entries of parts and head in `LogEntry.precedes` order (or its
    /// reverse), skipping parts and blocks by time, stream and token bloom filter.
    public func scan(_ scan: LogScan, visit: (ScannedEntry) throws -> Bool) throws {
        let start = scan.start.nanosecondsSinceEpoch
        let end = scan.end.nanosecondsSinceEpoch
        guard start < end else { return }
        let plan = plan(scan)
        var merger = ScanMerger(
            scan: scan, labels: plan.labels, blocks: plan.blocks,
            heads: plan.heads.map { .init(entries: $0.stream.entries(start: start, end: end), rank: $0.rank) })
        defer { blocksScanned.add(merger.blocksDecoded, ordering: .relaxed) }
        try merger.run(visit)
    }

    /// Hands the selected entries as columns per block and per head chunk, in no order:
    /// the blocks `scan` would read (no bloom filter: there are no line filters), decoded
    /// on every core (see `ColumnScanner`) with only timestamps, line lengths when asked
    /// and metadata for blocks holding one of the scan's `metadataNames`. Entries outside
    /// `[start, end)` in blocks straddling the range are left out here. `visit` runs on
    /// the calling thread only.
    public func scanColumns(_ scan: LogScan, lineLengths: Bool, visit: (StreamColumns) throws -> Bool) throws {
        let start = scan.start.nanosecondsSinceEpoch
        let end = scan.end.nanosecondsSinceEpoch
        guard start < end else { return }
        var columnScan = scan
        columnScan.requiredSubstrings = []
        let plan = plan(columnScan)
        let scanner = ColumnScanner(start: start, end: end, lineLengths: lineLengths,
                                    metadataNames: scan.metadataNames, blocks: plan.blocks)
        defer { blocksScanned.add(scanner.blocksDecoded, ordering: .relaxed) }
        func hand(_ chunk: ColumnScanner.Chunk) throws -> Bool {
            try visit(StreamColumns(stream: plan.labels[Int(chunk.rank)], streamID: Int(chunk.rank),
                                    timestamps: chunk.timestamps, lineLengths: chunk.lineLengths, metadata: chunk.metadata))
        }
        for head in plan.heads {
            for entries in head.stream.chunks + [head.stream.open] {
                guard let chunk = ColumnScanner.chunk(of: entries, rank: head.rank, start: start, end: end,
                                                      lineLengths: lineLengths, metadataNames: scan.metadataNames) else { continue }
                guard try hand(chunk) else { return }
            }
        }
        try scanner.run(hand)
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
