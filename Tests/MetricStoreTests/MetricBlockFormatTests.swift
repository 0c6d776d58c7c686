import CommitLog
import Foundation
import SluiceModel
import Testing
import TestSupport
@testable import MetricStore

/// Block files across formats: decimal and XOR chunks side by side (format 2), format 1
/// still read, unknown formats refused naming the version.
@Suite struct MetricBlockFormatTests {
    let directory = TemporaryDirectory()
    let clock = TestClock()

    /// Series whose chunks take each value stream: counters and gauges in short decimals
    /// (decimal), a constant (XOR is a bit per sample), values with 17 digits and stale
    /// markers (only XOR holds them), large negative decimals.
    func mixedSeries() -> [String: [Double]] {
        var random = SplitMix64(seed: 9)
        var expected: [String: [Double]] = [:]
        var counter = 50.0
        for step in 0..<700 {
            counter = ((counter * 100).rounded() + Double(Int.random(in: 0...60, using: &random))) / 100
            expected["counter", default: []].append(counter)
            expected["gauge", default: []].append(Double(Int.random(in: 0...400, using: &random)) / 100)
            expected["constant", default: []].append(42)
            expected["awkward", default: []].append(step % 50 == 7 ? StaleMarker.value : Double(step) * 0.1 + 0.2)
            expected["negative", default: []].append(-Double(step) * 1.5 - 1e12)
        }
        return expected
    }

    func time(_ index: Int) -> Int64 { 1_800_000_000_000 + Int64(index) * 10_000 + Int64(index % 7) }

    func blockPaths() throws -> [String] {
        let blocks = directory.sub("metrics/blocks")
        return try FileManager.default.contentsOfDirectory(atPath: blocks).filter { $0.hasSuffix(".block") }.sorted()
            .map { blocks + "/" + $0 }
    }

    func expectReadsBack(_ store: MetricStore, _ expected: [String: [Double]]) throws {
        for (name, values) in expected {
            let read = try #require(try store.samples(matching: [matcher("__name__", .equal, name)], start: .min, end: .max).first)
            #expect(read.values.map(\.bitPattern) == values.map(\.bitPattern), "\(name)")
            #expect(read.timestamps == values.indices.map(time))
            // A window that cuts chunks on both sides.
            let window = try #require(try store.samples(matching: [matcher("__name__", .equal, name)],
                                                        start: time(100), end: time(300)).first)
            #expect(window.values.map(\.bitPattern) == values[100...300].map(\.bitPattern), "\(name)")
        }
    }

    @Test func decimalAndXORChunksReadBackBitForBit() throws {
        let store = try openStore(directory, clock: clock)
        let expected = mixedSeries()
        for (name, values) in expected {
            try store.append([series(name, ["host": "a"], values.enumerated().map { (time($0.offset), $0.element) })])
        }
        try store.flush()
        try expectReadsBack(store, expected)
        let path = try #require(try blockPaths().first)
        let (block, _) = try MetricBlock.open(path: path, name: "b", sequence: 1)
        #expect(block.chunks.contains { $0.isDecimal })
        #expect(block.chunks.contains { !$0.isDecimal })
        // Reopened from disk alone.
        try store.close()
        try expectReadsBack(try openStore(directory, clock: clock), expected)
    }

    @Test func formatOneBlocksAreStillRead() throws {
        let expected = mixedSeries()
        var written: [MetricBlockWriter.Series] = []
        for (name, values) in expected.sorted(by: { $0.key < $1.key }) {
            written.append(MetricBlockWriter.Series(
                labels: ["__name__": name, "host": "a"],
                chunks: MetricStore.encodeChunks(values.indices.map(time), values)))
        }
        let bytes = try MetricBlockWriter.build(written, marks: [:], level: 3, frameTargetBytes: 4096, formatVersion: 1)
        #expect(bytes[8] == 1)
        let blocks = directory.sub("metrics/blocks")
        try FileManager.default.createDirectory(atPath: blocks, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: blocks + "/" + MetricStoreFileNames.block(minTime: time(0), sequence: 1)))
        let store = try openStore(directory, clock: clock)
        #expect(store.recoveryReport.isEmpty)
        try expectReadsBack(store, expected)
        // The next block the store writes is format 2, and both are read together.
        try store.append([series("counter", ["host": "a"], [(time(700), 1e9)])])
        try store.flush()
        let paths = try blockPaths()
        #expect(paths.count == 2)
        #expect(try #require(FileManager.default.contents(atPath: paths[1]))[8] == UInt8(MetricBlockWriter.version))
        let counter = try #require(try store.samples(matching: [matcher("__name__", .equal, "counter")], start: .min, end: .max).first)
        #expect(counter.values.count == 701 && counter.values.last == 1e9)
    }

    @Test func unknownFormatVersionsAreRefusedNamingTheVersion() throws {
        let store = try openStore(directory, clock: clock)
        try store.append([series("m", ["k": "v"], (0..<50).map { (Int64($0) * 1000, Double($0)) })])
        try store.flush()
        let path = try #require(try blockPaths().first)
        var bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
        bytes[8] = 9
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try MetricBlock.open(path: path, name: "b", sequence: 1)
        } throws: { error in
            guard case MetricStoreError.corrupt(let where_, let reason) = error else { return false }
            return where_ == path && reason.contains("format version 9")
        }
    }
}
