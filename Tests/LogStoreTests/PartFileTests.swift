import CommitLog
import Testing
import SluiceModel
import TestSupport
@testable import LogStore

@Suite struct PartFileTests {
    /// Writes a part from `streams` and opens it again.
    func roundTrip(_ streams: [(labels: Labels, entries: [LogEntry])], blockTargetBytes: Int = 1 << 20,
                   in directory: TemporaryDirectory) throws -> LogPart {
        let (bytes, index) = try PartWriter.build(streams: streams.map { .init(labels: $0.labels, chunks: [$0.entries], isSorted: false) }, highWater: [.init(topic: "logs", partition: 0): 9],
                                                  blockTargetBytes: blockTargetBytes, level: 3)
        let file = try FileHandle.open(directory.sub("x.part"), create: true)
        try file.write(bytes, at: 0)
        let part = try LogPart.open(directory: directory.path, name: "x.part")
        #expect(part.index == index)
        return part
    }

    func decodeAll(_ part: LogPart) throws -> [LogEntry] {
        var entries: [LogEntry] = []
        for block in part.index.blocks {
            let decoded = try DecodedBlock.read(block, from: part.file, needsLines: true, metadataNames: nil,
                                                format: part.index.format, partMetadataNames: part.index.metadataNames, codec: ZstdColumnCodec())
            for index in 0..<decoded.count {
                let start = decoded.lineStarts[index]
                entries.append(LogEntry(
                    timestamp: Timestamp(nanosecondsSinceEpoch: decoded.rows[index].time),
                    stream: part.index.streams[block.stream],
                    line: Array(decoded.lines[start..<(start + Int(decoded.rows[index].lineLength))]),
                    metadata: decoded.metadata.isEmpty ? Labels() : decoded.metadata[index],
                    origin: decoded.origin(index)))
            }
        }
        return entries
    }

    @Test func everyColumnRoundTrips() throws {
        let directory = TemporaryDirectory()
        var generator = EntryGenerator(seed: 3)
        let streams: [Labels] = (0..<25).map { ["app": "app\($0 % 5)", "host": "h\($0)"] }
        var byStream: [Labels: [LogEntry]] = [:]
        var offsets: [Int32: Int64] = [:]
        for _ in 0..<3000 {
            let stream = streams[generator.int(0..<streams.count)]
            let partition = Int32(generator.int(0..<3))
            offsets[partition, default: 0] += Int64(generator.int(1..<1000))
            // Negative, huge and equal timestamps, non-UTF-8 lines and empty metadata all occur.
            let time = [Int64.min + 1, -5, 0, Int64(generator.int(0..<1_000_000)), Int64.max - 1][generator.int(0..<5) == 0 ? generator.int(0..<5) : 3]
            byStream[stream, default: []].append(LogEntry(
                timestamp: Timestamp(nanosecondsSinceEpoch: time), stream: stream, line: generator.line(),
                metadata: generator.metadata(),
                origin: RecordOrigin(topic: generator.chance(80) ? "logs" : "other", partition: partition,
                                     offset: offsets[partition]!)))
        }
        let part = try roundTrip(byStream.map { ($0.key, $0.value) }, blockTargetBytes: 4096, in: directory)
        #expect(part.index.blocks.count > 25)
        #expect(part.index.streams.map(\.sortKey) == part.index.streams.map(\.sortKey).sorted())
        let expected = byStream.values.flatMap { $0 }.sorted(by: LogEntry.precedes)
        #expect(try decodeAll(part).sorted(by: LogEntry.precedes) == expected)
        #expect(part.index.highWater == [.init(topic: "logs", partition: 0): 9])
    }

    @Test func hugeLinesAndEmptyMetadata() throws {
        let directory = TemporaryDirectory()
        let stream: Labels = ["app": "big"]
        var random = SplitMix64(seed: 1)
        let huge = (0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
        let entries = [
            LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: 1), stream: stream, line: huge,
                     origin: RecordOrigin(topic: "t", partition: 0, offset: 0)),
            LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: 2), stream: stream, line: [],
                     origin: RecordOrigin(topic: "t", partition: 0, offset: 1)),
        ]
        let part = try roundTrip([(stream, entries)], in: directory)
        #expect(part.index.blocks.count == 2)
        #expect(part.index.blocks.allSatisfy { $0[.metadata].rawLength == 0 && $0.metadataNames.isEmpty })
        #expect(try decodeAll(part) == entries)
    }

    /// The exact bytes of a one-entry part: columns this small are stored uncompressed, so
    /// the whole file is fixed by the layout documented on `PartFile` and `PartIndex`.
    @Test func goldenLayout() throws {
        let stream: Labels = ["app": "a"]
        let one = entry(1000, stream, "hi there", metadata: ["level": "info", "word": "there"], offset: 5)
        let (bytes, _) = try PartWriter.build(streams: [.init(labels: stream, chunks: [[one]], isSorted: true)], highWater: [.init(topic: "logs", partition: 0): 5],
                                              blockTargetBytes: 1 << 20, level: 3)
        let columns: [UInt8] = [9, 0]                                   // scale 10^9 (no other delta), delta from minTime
            + [1, 4] + Array("logs".utf8) + [0, 0, 10]                  // topics; topic 0, partition 0, offset 5 (z)
            + [8]                                                      // line length
            + [2, 5] + Array("level".utf8) + [4] + Array("word".utf8)  // names
            + [2, 0, 16] + Array("info".utf8)                          // 2 pairs: name 0, literal "info" (4 << 2 | 0),
            + [1, 6, 2]                                                // name 1, "there": 1 token (1 << 2 | 2) from token 2
            + [1] + Array("\0hi\n\0 \n\0there\n".utf8)                  // one group; token columns 0, 1, 2 (plain)
        #expect(Array(bytes[..<columns.count]) == columns)
        let footer = Array(bytes[(bytes.count - 32)...])
        let indexLength = bytes.count - 32 - columns.count
        #expect(Array(footer[0..<8]) == [UInt8(columns.count), 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(footer[8..<16]) == [UInt8(indexLength), 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(footer[20..<24]) == [4, 0, 0, 0])
        #expect(Array(footer[24...]) == Array("SLUICELP".utf8))
        let index = Array(bytes[columns.count..<(bytes.count - 32)])
        let head: [UInt8] = [0xD0, 0x0F, 0xD0, 0x0F]                     // minTime, maxTime 1000 (z)
            + [1, 4] + Array("logs".utf8) + [0, 10]                      // marks: logs/0 → 5
            + [0]                                                        // replaces no parts
            + [1, 1, 3] + Array("app".utf8) + [1] + Array("a".utf8)      // one stream {app="a"}
            + [2, 5] + Array("level".utf8) + [4] + Array("word".utf8)    // metadata names
            + [1, 0, 1, 0xD0, 0x0F, 0, 8, 0]                             // block: stream, count, min, max-min, line bytes, offset
        #expect(Array(index[..<head.count]) == head)
    }

    /// Deltas in whole milliseconds are stored as milliseconds; one odd nanosecond in a
    /// block brings it back to nanoseconds. Both round-trip.
    @Test func timestampDeltasAreScaledByAPowerOfTen() throws {
        let directory = TemporaryDirectory()
        let stream: Labels = ["app": "a"]
        func entries(_ times: [Int64]) -> [LogEntry] {
            times.enumerated().map { entry($0.element, stream, "line \($0.offset)", offset: Int64($0.offset)) }
        }
        let milliseconds = entries((0..<1000).map { 1_795_000_000_000_000_000 + Int64($0) * 1_234_000_000 })
        let part = try roundTrip([(stream, milliseconds)], in: directory)
        #expect(try decodeAll(part) == milliseconds)
        // A delta of 1,234 ms: two varint bytes (1234), not five (1,234,000,000 ns).
        #expect(part.index.blocks[0][.timestamps].rawLength == 1 + 1 + 999 * 2)

        let oneOdd = entries((0..<1000).map { 1_795_000_000_000_000_000 + Int64($0) * 1_234_000_000 + ($0 == 500 ? 1 : 0) })
        let other = TemporaryDirectory()
        let oddPart = try roundTrip([(stream, oneOdd)], in: other)
        #expect(try decodeAll(oddPart) == oneOdd)
        #expect(oddPart.index.blocks[0][.timestamps].rawLength > 999 * 4)
    }

    /// Metadata values as whole tokens of the line, as bytes inside a token, spanning
    /// separators, or absent from the line: each kind reads back, in format 4 and 3.
    @Test func metadataReferencesOfEveryKindRoundTrip() throws {
        let stream: Labels = ["app": "a"]
        let line = #"{"ts":"2026-11-21T13:45:12.345Z","msg":"payment authorized","user":"u-42"}"#
        let metadata: Labels = ["ts": "2026-11-21T13:45:12.345Z", "msg": "payment authorized", "user": "u-42",
                                "part": "uthor", "absent": "not in the line", "quote": "\",\""]
        let entries = (0..<50).map { number in
            LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: Int64(number)), stream: stream, line: Array(line.utf8),
                     metadata: metadata, origin: RecordOrigin(topic: "logs", partition: 0, offset: Int64(number)))
        }
        for version: UInt32 in [3, 4] {
            let directory = TemporaryDirectory()
            let (bytes, _) = try PartWriter.build(streams: [.init(labels: stream, chunks: [entries], isSorted: true)],
                                                  highWater: [:], blockTargetBytes: 1 << 20, level: 3, formatVersion: version)
            try FileHandle.open(directory.sub("p.part"), create: true).write(bytes, at: 0)
            let part = try LogPart.open(directory: directory.path, name: "p.part")
            #expect(try decodeAll(part) == entries, "format \(version)")
        }
    }

    /// Parts of format 3 (lines back to back, not token columns) still read.
    @Test func versionThreePartsRead() throws {
        let directory = TemporaryDirectory()
        var generator = EntryGenerator(seed: 8)
        let stream: Labels = ["app": "a"]
        let entries = (0..<500).map { number in
            LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: Int64(number)), stream: stream, line: generator.line(),
                     metadata: generator.metadata(), origin: RecordOrigin(topic: "logs", partition: 0, offset: Int64(number)))
        }
        let (bytes, index) = try PartWriter.build(streams: [.init(labels: stream, chunks: [entries], isSorted: true)],
                                                  highWater: [:], blockTargetBytes: 4096, level: 3, formatVersion: 3)
        try FileHandle.open(directory.sub("v3.part"), create: true).write(bytes, at: 0)
        let part = try LogPart.open(directory: directory.path, name: "v3.part")
        #expect(part.index.format == PartFormat(version: 3))
        #expect(part.index == index)
        #expect(try decodeAll(part) == entries)
    }

    /// Parts written before compaction (version 1: no replaced-parts list) still open.
    @Test func versionOnePartsOpen() throws {
        let directory = TemporaryDirectory()
        let stream: Labels = ["app": "a"]
        let one = entry(1000, stream, "hi there", offset: 5)
        let (bytes, index) = try PartWriter.build(streams: [.init(labels: stream, chunks: [[one]], isSorted: true)],
                                                  highWater: [:], blockTargetBytes: 1 << 20, level: 3, formatVersion: 3)
        var version1 = index.serialized()
        let replacedAt = 4 + 1  // min and max time (two bytes each), then the empty high-water count
        #expect(version1.remove(at: replacedAt) == 0)  // the empty replaced-parts count
        let indexOffset = bytes.count - 32 - index.serialized().count
        var file = Array(bytes[..<indexOffset]) + version1
        var footer = PartFile.footer(indexOffset: indexOffset, index: version1)
        footer[20] = 1
        file += footer
        try FileHandle.open(directory.sub("old.part"), create: true).write(file, at: 0)
        let part = try LogPart.open(directory: directory.path, name: "old.part")
        var expected = index
        expected.format = PartFormat(version: 1)
        #expect(part.index == expected)
        #expect(try decodeAll(part) == [one])
    }
}
