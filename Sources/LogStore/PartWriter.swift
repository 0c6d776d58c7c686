import SluiceModel

/// Builds a part's bytes (see `PartFile`) from head streams: streams sorted by
/// `Labels.sortKey`, each stream's entries sorted by (timestamp, origin) and cut into blocks
/// of about `blockTargetBytes` raw bytes.
enum PartWriter {
    /// More entries than this per block would make a decoded block's arrays large for little gain.
    static let maxEntriesPerBlock = 1 << 16

    static func build(streams: [(labels: Labels, entries: [LogEntry])], highWater: [LogStore.TopicPartition: Int64],
                      blockTargetBytes: Int, level: Int) throws -> (bytes: [UInt8], index: PartIndex) {
        let ordered = streams.filter { !$0.entries.isEmpty }.map { ($0.labels.sortKey, $0) }.sorted { $0.0 < $1.0 }.map(\.1)
        var output: [UInt8] = []
        var encoder = BlockEncoder(level: level)
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
            var entries = stream.entries
            if !isSorted(entries) { entries.sort(by: LogStoreHead.streamOrder) }
            var start = 0
            while start < entries.count {
                var end = start
                var bytes = 0
                while end < entries.count, end - start < maxEntriesPerBlock, bytes < blockTargetBytes {
                    bytes += LogStoreHead.rawSize(entries[end])
                    end += 1
                }
                let block = try encoder.encode(entries[start..<end], stream: streamNumber, into: &output,
                                               metadataName: nameIndex)
                minTime = min(minTime, block.minTime)
                maxTime = max(maxTime, block.maxTime)
                blocks.append(block)
                start = end
            }
        }
        let index = PartIndex(minTime: minTime, maxTime: maxTime, highWater: highWater,
                              streams: ordered.map(\.labels), metadataNames: metadataNames, blocks: blocks)
        let indexBytes = index.serialized()
        let indexOffset = output.count
        output.append(contentsOf: indexBytes)
        output.append(contentsOf: PartFile.footer(indexOffset: indexOffset, index: indexBytes))
        return (output, index)
    }

    private static func isSorted(_ entries: [LogEntry]) -> Bool {
        var index = 1
        while index < entries.count {
            if LogStoreHead.streamOrder(entries[index], entries[index - 1]) { return false }
            index += 1
        }
        return true
    }
}
