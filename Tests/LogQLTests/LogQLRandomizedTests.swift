import SluiceModel
import TestSupport
import Testing
import LogQLReference
@testable import LogQL

/// A source that honours `requiredSubstrings` (as an indexed store may): the engine's
/// substrings must be safe to skip on.
struct SubstringSkippingSource: LogEntrySource {
    let inner: ArrayLogSource

    func scan(_ scan: LogScan, visit: (ScannedEntry) throws -> Bool) throws {
        var full = scan
        full.needsLines = true
        try inner.scan(full) { scanned in
            guard scan.requiredSubstrings.allSatisfy({ ReferenceEvaluator.bytesContain(scanned.entry.line, $0) }) else { return true }
            var handed = scanned
            if !scan.needsLines { handed.entry.line = [] }
            return try visit(handed)
        }
    }

    func streams(matching matchers: [LabelMatcher], start: Timestamp, end: Timestamp) throws -> [Labels] {
        try inner.streams(matching: matchers, start: start, end: end)
    }
}

/// A source that hands columns as storage may: chunks split at random, entries and chunks
/// in random order, so counting must not depend on order or chunking.
struct ShuffledColumnsSource: LogEntrySource {
    let inner: ArrayLogSource

    func scan(_ scan: LogScan, visit: (ScannedEntry) throws -> Bool) throws {
        try inner.scan(scan, visit: visit)
    }

    func scanColumns(_ scan: LogScan, lineLengths: Bool, visit: (StreamColumns) throws -> Bool) throws {
        var random = SplitMix64(seed: UInt64(bitPattern: scan.start.nanosecondsSinceEpoch) ^ 0x5eed)
        var chunks: [StreamColumns] = []
        try inner.scanColumns(scan, lineLengths: lineLengths) { columns in
            var order = Array(columns.timestamps.indices)
            order.shuffle(using: &random)
            while !order.isEmpty {
                let taken = order.prefix(Int.random(in: 1...order.count, using: &random))
                order.removeFirst(taken.count)
                chunks.append(StreamColumns(stream: columns.stream, streamID: columns.streamID,
                                            timestamps: taken.map { columns.timestamps[$0] },
                                            lineLengths: lineLengths ? taken.map { columns.lineLengths[$0] } : [],
                                            metadata: columns.metadata.isEmpty ? [] : taken.map { columns.metadata[$0] }))
            }
            return true
        }
        chunks.shuffle(using: &random)
        for chunk in chunks where try !visit(chunk) { return }
    }

    func streams(matching matchers: [LabelMatcher], start: Timestamp, end: Timestamp) throws -> [Labels] {
        try inner.streams(matching: matchers, start: start, end: end)
    }
}

/// The engine against the brute-force reference on random data and random queries.
/// ArrayLogSource ignores `requiredSubstrings` (it hands back non-matching lines, so the
/// engine must filter again); SubstringSkippingSource applies them.
@Suite struct LogQLRandomizedTests {
    func compare(seed: UInt64, queries: Int) throws {
        var corpus = RandomCorpus(seed: seed)
        let entries = corpus.entries(count: 160)
        let reference = ReferenceEvaluator(entries: entries)
        let array = ArrayLogSource(entries)
        let engines = [LogQLEngine(source: array), LogQLEngine(source: SubstringSkippingSource(inner: array)),
                       LogQLEngine(source: ShuffledColumnsSource(inner: array))]
        var differences = 0
        var errors = 0
        var nonEmpty = 0
        // Then queries that read columns, beyond those among the random ones.
        for number in 0..<(queries + queries / 5) {
            let isMetric = number >= queries || corpus.chance(60)
            let text = number >= queries ? corpus.countingMetricQuery() : isMetric ? corpus.metricQuery() : corpus.logQuery()
            let start: Int64 = RandomCorpus.base + Int64.random(in: -60...300, using: &corpus.random) * 1_000_000_000
            let end: Int64 = start + Int64.random(in: 0...400, using: &corpus.random) * 1_000_000_000
            let step: Int64 = corpus.pick([5, 10, 15, 60, 7] as [Int64]) * 1_000_000_000
            let limit = Int.random(in: 1...40, using: &corpus.random)
            let direction: LogScan.Direction = corpus.chance(50) ? .forward : .backward
            let instant = isMetric && corpus.chance(25)

            let expected = try reference.expected(text, start: start, end: end, step: step, limit: limit,
                                                  direction: direction, instant: instant)
            if case .failure = expected { errors += 1 }
            for engine in engines {
                let actual: Result<LogQLResult, LogQLError>
                do {
                    if instant {
                        actual = .success(try engine.queryInstant(text, time: Timestamp(nanosecondsSinceEpoch: end), limit: limit, direction: direction))
                    } else {
                        actual = .success(try engine.queryRange(text, start: Timestamp(nanosecondsSinceEpoch: start), end: Timestamp(nanosecondsSinceEpoch: end),
                                                                stepNanoseconds: step, limit: limit, direction: direction))
                    }
                } catch let error as LogQLError {
                    actual = .failure(error)
                }
                if case .success(let result) = actual, result != .streams([]), result != .matrix([]), result != .vector([]) { nonEmpty += 1 }
                if actual != expected {
                    differences += 1
                    if differences <= 3 {
                        Issue.record("seed \(seed) query \(text) start \(start - RandomCorpus.base) end \(end - RandomCorpus.base) step \(step) limit \(limit) \(direction) instant \(instant)\nexpected \(expected)\nactual   \(actual)")
                    }
                }
            }
        }
        #expect(differences == 0)
        #expect(nonEmpty > queries / 3, "most queries should select something")
        print("seed \(seed): \(nonEmpty) non-empty results, \(errors) pipeline errors of \(queries) queries")
        #expect(errors < queries / 4, "too many queries end in pipeline errors to be a useful comparison")
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func engineMatchesReference(seed: UInt64) throws {
        try compare(seed: seed, queries: 500)
    }
}
