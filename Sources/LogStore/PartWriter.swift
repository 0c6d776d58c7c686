import SluiceModel

/// Builds a part's bytes (see `PartFile`) from head streams: streams sorted by
/// `Labels.sortKey`, each stream's entries sorted by (timestamp, origin) and cut into blocks
/// of about `blockTargetBytes` raw bytes.
enum PartWriter {
    /// More entries than this per block would make a decoded block's arrays large for little gain.
    static let maxEntriesPerBlock = 1 << 16

    /// One stream's entries as the head holds them: chunks, in (timestamp, origin) order
    /// when `isSorted`; encoded straight from the chunks then, without a flattening copy.
    struct StreamEntries {
        var labels: Labels
        var chunks: [[LogEntry]]
        var isSorted: Bool
    }

    /// - Parameter formatVersion: `PartFile.version`; tests write 3 to check that older
    ///   parts still read.
    static func build(streams: [StreamEntries], highWater: [LogStore.TopicPartition: Int64], replaces: [UInt64] = [],
                      blockTargetBytes: Int, level: Int, expectedBytes: Int = 0,
                      formatVersion: UInt32 = PartFile.version) throws -> (bytes: [UInt8], index: PartIndex) {
        let ordered = streams.filter { $0.chunks.contains { !$0.isEmpty } }.map { ($0.labels.sortKey, $0) }
            .sorted { $0.0 < $1.0 }.map(\.1)
        var output: [UInt8] = []
        output.reserveCapacity(expectedBytes)
        precondition(formatVersion >= 3 && formatVersion <= PartFile.version, "writes format 3 or 4")
        var encoder = BlockEncoder(level: level, format: PartFormat(version: formatVersion))
        var blocks: [BlockInfo] = []
        var metadataNames: [String] = []
        var metadataIndex: [String: Int] = [:]
        func nameIndex(_ name: String) -> Int {
            if let index = metadataIndex[name] { return index }
            metadataNames.append(name)
            metadataIndex[name] = metadataNames.count - 1
            return metadataNames.count - 1
        }
        var minTime = Int64.max
        var maxTime = Int64.min
        for (streamNumber, stream) in ordered.enumerated() {
            var chunks = stream.chunks.filter { !$0.isEmpty }
            if !stream.isSorted || (chunks.count > 1 && !isSorted(chunks)) {
                chunks = [chunks.flatMap { $0 }.sorted(by: LogStoreHead.streamOrder)]
            }
            var pieces: [ArraySlice<LogEntry>] = []
            var entries = 0
            var bytes = 0
            func emit() throws {
                let block = try encoder.encode(pieces, stream: streamNumber, into: &output, metadataName: nameIndex)
                minTime = min(minTime, block.minTime)
                maxTime = max(maxTime, block.maxTime)
                blocks.append(block)
                pieces.removeAll(keepingCapacity: true)
                entries = 0
                bytes = 0
            }
            for chunk in chunks {
                var start = chunk.startIndex
                var index = start
                while index < chunk.endIndex {
                    bytes += LogStoreHead.rawSize(chunk[index])
                    entries += 1
                    index += 1
                    if bytes >= blockTargetBytes || entries >= maxEntriesPerBlock {
                        pieces.append(chunk[start..<index])
                        start = index
                        try emit()
                    }
                }
                if start < chunk.endIndex { pieces.append(chunk[start...]) }
            }
            if entries > 0 { try emit() }
        }
        var index = PartIndex(minTime: minTime, maxTime: maxTime, highWater: highWater,
                              streams: ordered.map(\.labels), metadataNames: metadataNames, blocks: blocks)
        index.replaces = replaces
        index.format = PartFormat(version: formatVersion)
        let indexBytes = index.serialized()
        let indexOffset = output.count
        output.append(contentsOf: indexBytes)
        output.append(contentsOf: PartFile.footer(indexOffset: indexOffset, index: indexBytes, version: formatVersion))
        return (output, index)
    }

    /// Whether consecutive chunks continue each other's order (each is sorted already).
    private static func isSorted(_ chunks: [[LogEntry]]) -> Bool {
        zip(chunks, chunks.dropFirst()).allSatisfy { !LogStoreHead.streamOrder($1.first!, $0.last!) }
    }
}
