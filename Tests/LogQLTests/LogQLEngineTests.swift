import Synchronization
import SluiceModel
import Testing
import TestSupport
@testable import LogQL

/// Hand-computed expectations on small data.
@Suite struct LogQLEngineTests {
    static let second: Int64 = 1_000_000_000
    static let t0: Int64 = 1_700_000_000 * second

    static func entry(_ seconds: Int64, _ stream: Labels, _ line: String, _ metadata: Labels = Labels(), offset: Int64 = 0) -> LogEntry {
        LogEntry(timestamp: Timestamp(nanosecondsSinceEpoch: t0 + seconds * second), stream: stream, line: Array(line.utf8),
                 metadata: metadata, origin: RecordOrigin(topic: "t", partition: 0, offset: seconds * 10 + offset))
    }

    static func at(_ seconds: Int64) -> Timestamp { Timestamp(nanosecondsSinceEpoch: t0 + seconds * second) }

    func lines(_ engine: LogQLEngine, _ query: String, limit: Int = 100, direction: LogScan.Direction = .forward) throws -> [(Labels, String)] {
        guard case .streams(let streams) = try engine.queryRange(query, start: Self.at(0), end: Self.at(1000), stepNanoseconds: Self.second,
                                                                 limit: limit, direction: direction) else { return [] }
        return streams.flatMap { stream in stream.entries.map { (stream.labels, String(decoding: $0.line, as: UTF8.self)) } }
    }

    func sortedLines(_ engine: LogQLEngine, _ query: String) throws -> [String] {
        try lines(engine, query).map(\.1).sorted()
    }

    func matrix(_ engine: LogQLEngine, _ query: String, start: Int64, end: Int64, step: Int64) throws -> [String: [(Int64, Double)]] {
        guard case .matrix(let series) = try engine.queryRange(query, start: Self.at(start), end: Self.at(end), stepNanoseconds: step * Self.second,
                                                               limit: 100, direction: .forward) else { return [:] }
        var result: [String: [(Int64, Double)]] = [:]
        for one in series { result[one.labels.sortKey] = one.points.map { (($0.timestamp.nanosecondsSinceEpoch - Self.t0) / Self.second, $0.value) } }
        return result
    }

    let app: Labels = ["app": "api", "level": "info"]

    @Test func literalAndRealRegexLineFilters() throws {
        let engine = LogQLEngine(source: ArrayLogSource([
            Self.entry(1, app, "GET /api timeout after 30s"),
            Self.entry(2, app, "POST /login ok"),
            Self.entry(3, app, "TIMEOUT upstream"),
        ]))
        #expect(try sortedLines(engine, #"{app="api"} |~ "timeout""#) == ["GET /api timeout after 30s"])
        #expect(try sortedLines(engine, #"{app="api"} !~ "timeout""#) == ["POST /login ok", "TIMEOUT upstream"])
        #expect(try sortedLines(engine, #"{app="api"} |~ "(?i)timeout""#) == ["GET /api timeout after 30s", "TIMEOUT upstream"])
        #expect(try sortedLines(engine, #"{app="api"} |~ "/a.i ""#) == ["GET /api timeout after 30s"])
        #expect(try sortedLines(engine, #"{app="api"} |~ "GET|POST""#) == ["GET /api timeout after 30s", "POST /login ok"])
    }

    @Test func labelFilterTypesAndErrors() throws {
        let engine = LogQLEngine(source: ArrayLogSource([
            Self.entry(1, app, "a", ["status": "500", "took": "1.5s", "size": "2KiB"]),
            Self.entry(2, app, "b", ["status": "200", "took": "90ms", "size": "100"]),
            Self.entry(3, app, "c", ["status": "oops", "took": "soon", "size": "lots"]),
            Self.entry(4, app, "d"),
        ]))
        #expect(try sortedLines(engine, #"{app="api"} | status >= 500"#) == ["a", "c"])
        #expect(try lines(engine, #"{app="api"} | status >= 500"#).first { $0.1 == "c" }?.0["__error__"] == "LabelFilterErr")
        #expect(try sortedLines(engine, #"{app="api"} | took > 1s"#) == ["a", "c"])
        #expect(try sortedLines(engine, #"{app="api"} | took < 100ms"#) == ["b", "c"])
        #expect(try sortedLines(engine, #"{app="api"} | size > 1KB"#) == ["a", "c"])
        #expect(try sortedLines(engine, #"{app="api"} | size <= 100B"#) == ["b", "c"])
        #expect(try sortedLines(engine, #"{app="api"} | status >= 500 | __error__="""#) == ["a"])
        #expect(try sortedLines(engine, #"{app="api"} | status == 200 or took > 1s"#) == ["a", "b", "c"])
        #expect(try sortedLines(engine, #"{app="api"} | status="500", took > 1s"#) == ["a"])
        #expect(try sortedLines(engine, #"{app="api"} | status=~"5..""#) == ["a"])
        #expect(try sortedLines(engine, #"{app="api"} | status!="500""#) == ["b", "c", "d"])
    }

    @Test func jsonExtraction() throws {
        let engine = LogQLEngine(source: ArrayLogSource([
            Self.entry(1, app, #"{"level":"warn","req":{"method":"GET","a b":{"c":1}},"tags":[1,2],"n":null,"ok":true,"1st":"x"}"#),
            Self.entry(2, app, "not json"),
            Self.entry(3, app, #"{"msg":"hi","broken":"#),
        ]))
        let result = try lines(engine, #"{app="api"} | json"#)
        #expect(result.count == 3)
        let labels = result.map(\.0)
        #expect(labels.contains(["app": "api", "level": "info", "level_extracted": "warn", "req_method": "GET", "req_a_b_c": "1", "ok": "true", "_1st": "x"]))
        #expect(labels.contains(["app": "api", "level": "info", "__error__": "JSONParserErr"]))
        #expect(labels.contains(["app": "api", "level": "info", "msg": "hi", "__error__": "JSONParserErr"]))
    }

    @Test func logfmtAndRegexpExtraction() throws {
        let engine = LogQLEngine(source: ArrayLogSource([
            Self.entry(1, app, #"level=error msg="a \"quoted\" value" status=500 bare"#, ["status": "1"]),
            Self.entry(2, app, #"msg="unterminated"#),
            Self.entry(3, app, "GET /index.html 404"),
        ]))
        let logfmt = try lines(engine, #"{app="api"} | logfmt"#).map(\.0)
        // Parsed labels replace metadata of the same name; stream clashes get `_extracted`.
        #expect(logfmt.contains(["app": "api", "level": "info", "level_extracted": "error", "msg": "a \"quoted\" value", "status": "500"]))
        #expect(logfmt.contains(["app": "api", "level": "info", "__error__": "LogfmtParserErr"]))
        let regexp = try lines(engine, #"{app="api"} | regexp "(?P<method>[A-Z]+) (?P<path>\\S+) (?P<level>\\d+)""#).map(\.0)
        #expect(regexp.contains(["app": "api", "level": "info", "method": "GET", "path": "/index.html", "level_extracted": "404"]))
        #expect(regexp.filter { $0["method"] != nil }.count == 1)
    }

    @Test func lineFormat() throws {
        let engine = LogQLEngine(source: ArrayLogSource([Self.entry(1, app, "status=500 took=3ms")]))
        #expect(try lines(engine, #"{app="api"} | logfmt | line_format "{{.level}} {{ .status }} in {{.took}}{{.missing}} [{{__line__}}]""#).map(\.1)
            == ["info 500 in 3ms [status=500 took=3ms]"])
        #expect(try lines(engine, #"{app="api"} | line_format "{{ __timestamp__ }}""#).map(\.1) == ["2023-11-14 22:13:21 +0000 UTC"])
        // Line filters after line_format see the new line.
        #expect(try lines(engine, #"{app="api"} | line_format "x" |= "status""#).isEmpty)
    }

    @Test func limitAndDirection() throws {
        let web: Labels = ["app": "web"]
        let engine = LogQLEngine(source: ArrayLogSource([
            Self.entry(1, app, "1"), Self.entry(2, web, "2"), Self.entry(3, app, "3"), Self.entry(4, web, "4"), Self.entry(5, app, "5"),
        ]))
        #expect(try lines(engine, #"{app=~".+"}"#, limit: 3).map(\.1) == ["1", "3", "2"])
        #expect(try lines(engine, #"{app=~".+"}"#, limit: 3, direction: .backward).map(\.1) == ["5", "3", "4"])
        guard case .streams(let streams) = try engine.queryRange(#"{app=~".+"}"#, start: Self.at(2), end: Self.at(4), stepNanoseconds: 1, limit: 10, direction: .forward) else { return }
        #expect(streams.map { $0.entries.count } == [1, 1])  // [start, end)
    }

    @Test func windowsAndRates() throws {
        // Entries at 10, 20, 30, 40 s with 1..4-byte lines.
        let engine = LogQLEngine(source: ArrayLogSource([
            Self.entry(10, app, "a"), Self.entry(20, app, "bb"), Self.entry(30, app, "ccc"), Self.entry(40, app, "dddd"),
        ]))
        // Windows (t - 20 s, t]: t=20 → {10, 20}; t=30 → {20, 30}; t=50 → {40}; t=70 → none.
        let counts = try matrix(engine, #"count_over_time({app="api"}[20s])"#, start: 0, end: 70, step: 10)
        #expect(counts.count == 1)
        #expect(counts.values.first!.map(\.0) == [10, 20, 30, 40, 50])
        #expect(counts.values.first!.map(\.1) == [1, 2, 2, 2, 1])
        let rates = try matrix(engine, #"rate({app="api"}[20s])"#, start: 20, end: 20, step: 10)
        #expect(rates.values.first!.map(\.1) == [0.1])
        let bytes = try matrix(engine, #"bytes_over_time({app="api"}[20s])"#, start: 30, end: 40, step: 10)
        #expect(bytes.values.first!.map(\.1) == [5, 7])
        let byteRate = try matrix(engine, #"bytes_rate({app="api"}[20s])"#, start: 30, end: 30, step: 10)
        #expect(byteRate.values.first!.map(\.1) == [0.25])
        // Step longer than range: entries between windows count nowhere.
        let sparse = try matrix(engine, #"count_over_time({app="api"}[5s])"#, start: 0, end: 60, step: 30)
        #expect(sparse.values.first!.map(\.0) == [30])
        guard case .vector(let vector) = try engine.queryInstant(#"sum(count_over_time({app="api"}[25s]))"#, time: Self.at(40), limit: 10, direction: .forward) else { return }
        #expect(vector == [LogQLSample(labels: Labels(), point: LogQLPoint(timestamp: Self.at(40), value: 3))])
    }

    @Test func groupingAndTopk() throws {
        let engine = LogQLEngine(source: ArrayLogSource([
            Self.entry(1, ["app": "a", "host": "h1"], "x"), Self.entry(2, ["app": "a", "host": "h2"], "x"),
            Self.entry(3, ["app": "a", "host": "h2"], "x"), Self.entry(4, ["app": "b", "host": "h1"], "x"),
            Self.entry(5, ["app": "c", "host": "h1"], "x", ["status": "500"]),
        ]))
        func at10(_ query: String) throws -> [String: Double] {
            try matrix(engine, query, start: 10, end: 10, step: 10).mapValues { $0[0].1 }
        }
        #expect(try at10(#"sum by (app) (count_over_time({host=~".+"}[1m]))"#) == [#"{app="a"}"#: 3, #"{app="b"}"#: 1, #"{app="c"}"#: 1])
        #expect(try at10(#"sum without (host) (count_over_time({host=~".+"}[1m]))"#) == [#"{app="a"}"#: 3, #"{app="b"}"#: 1, #"{app="c", status="500"}"#: 1])
        #expect(try at10(#"max by (host) (count_over_time({host=~".+"}[1m]))"#) == [#"{host="h1"}"#: 1, #"{host="h2"}"#: 2])
        #expect(try at10(#"count(count_over_time({host=~".+"}[1m]))"#) == ["{}": 4])
        #expect(try at10(#"avg(count_over_time({host=~".+"}[1m]))"#) == ["{}": 1.25])
        #expect(try at10(#"topk(2, count_over_time({host=~".+"}[1m]))"#) == [#"{app="a", host="h2"}"#: 2, #"{app="a", host="h1"}"#: 1])
        #expect(try at10(#"bottomk by (host) (1, count_over_time({host=~".+"}[1m]))"#) == [#"{app="a", host="h1"}"#: 1, #"{app="a", host="h2"}"#: 2])
    }

    @Test func errorsAndLimits() throws {
        let engine = LogQLEngine(source: ArrayLogSource([Self.entry(1, app, "not json")]), limits: LogQLLimits(maxEntries: 10, maxPoints: 100))
        #expect(throws: LogQLError.self) { try engine.queryInstant(#"{app="api"}"#, time: Self.at(1), limit: 10, direction: .forward) }
        do {
            _ = try engine.queryRange(#"count_over_time({app="api"} | json [1m])"#, start: Self.at(0), end: Self.at(60), stepNanoseconds: Self.second * 10, limit: 10, direction: .forward)
            Issue.record("no pipeline error")
        } catch let error as LogQLError {
            #expect(error.kind == .evaluation && error.message.hasPrefix("pipeline error: 'JSONParserErr' for series: '{__error__=\"JSONParserErr\", app=\"api\", level=\"info\"}'"))
        }
        // `sum by` drops the error label before the check, as in Loki.
        _ = try engine.queryRange(#"sum by (app) (count_over_time({app="api"} | json [1m]))"#, start: Self.at(0), end: Self.at(60), stepNanoseconds: Self.second * 10, limit: 10, direction: .forward)
        #expect(throws: LogQLLimitError(.entries, "max entries limit per query exceeded, limit > max_entries_limit_per_query (11 > 10)")) {
            try engine.queryRange(#"{app="api"}"#, start: Self.at(0), end: Self.at(60), stepNanoseconds: 1, limit: 11, direction: .forward)
        }
        #expect(throws: LogQLLimitError.self) {
            try engine.queryRange(#"count_over_time({app="api"}[1m])"#, start: Self.at(0), end: Self.at(1000), stepNanoseconds: Self.second, limit: 10, direction: .forward)
        }
        #expect(throws: LogQLLimitError.self) {
            try engine.queryRange(#"count_over_time({app="api"}[1m])"#, start: Self.at(0), end: Self.at(10), stepNanoseconds: 0, limit: 10, direction: .forward)
        }
        #expect(throws: LogQLError.self) {
            try engine.forEachEntry(#"count_over_time({app="api"}[1m])"#, start: Self.at(0), end: Self.at(10), direction: .forward) { _, _, _ in true }
        }
        #expect(LogQLEngine.defaultStepNanoseconds(start: Self.at(0), end: Self.at(3600)) == 14 * Self.second)
        #expect(LogQLEngine.defaultStepNanoseconds(start: Self.at(0), end: Self.at(60)) == Self.second)
    }

    @Test func cancellationAndExport() throws {
        let many = (0..<10_000).map { Self.entry(Int64($0 % 500), app, "line \($0)", offset: Int64($0)) }
        let engine = LogQLEngine(source: ArrayLogSource(many))
        #expect(throws: LogQLCancelled.self) {
            try engine.forEachEntry(#"{app="api"}"#, start: Self.at(0), end: Self.at(1000), direction: .forward, isCancelled: { true }) { _, _, _ in true }
        }
        var seen = 0
        try engine.forEachEntry(#"{app="api"} |= "line 1""#, start: Self.at(0), end: Self.at(1000), direction: .backward) { _, _, _ in
            seen += 1
            return seen < 50
        }
        #expect(seen == 50)
    }

    /// Counts how the engine reads: entry by entry (`scan`) or as columns.
    final class ReadCountingSource: LogEntrySource {
        let inner: ArrayLogSource
        let entryScans = Mutex(0)
        let columnScans = Mutex<[(scan: LogScan, lineLengths: Bool)]>([])
        init(_ inner: ArrayLogSource) { self.inner = inner }
        func scan(_ scan: LogScan, visit: (ScannedEntry) throws -> Bool) throws {
            entryScans.withLock { $0 += 1 }
            try inner.scan(scan, visit: visit)
        }
        func scanColumns(_ scan: LogScan, lineLengths: Bool, visit: (StreamColumns) throws -> Bool) throws {
            columnScans.withLock { $0.append((scan, lineLengths)) }
            try inner.scanColumns(scan, lineLengths: lineLengths, visit: visit)
        }
        func streams(matching matchers: [LabelMatcher], start: Timestamp, end: Timestamp) throws -> [Labels] { [] }
    }

    @Test func countingQueriesReadColumnsNotEntries() throws {
        let web: Labels = ["app": "web"]
        let source = ReadCountingSource(ArrayLogSource([
            Self.entry(5, app, "hello"), Self.entry(20, app, "hi", ["status": "500"]),
            Self.entry(30, web, "x", ["level": "debug"]), Self.entry(70, app, "later"),
        ]))
        let engine = LogQLEngine(source: source)
        func points(_ query: String) throws -> [String: String] {
            try matrix(engine, query, start: 0, end: 120, step: 60).mapValues { $0.map { "\($0.0):\($0.1)" }.joined(separator: " ") }
        }
        // Metadata splits series where it is kept, and labels entries the stream does not.
        #expect(try points(#"count_over_time({app="api"}[1m])"#)
            == [#"{app="api", level="info"}"#: "60:1.0 120:1.0", #"{app="api", level="info", status="500"}"#: "60:1.0"])
        #expect(try points(#"sum by (level) (count_over_time({app=~".+"}[1m]))"#)
            == [#"{level="info"}"#: "60:2.0 120:1.0", #"{level="debug"}"#: "60:1.0"])
        #expect(try points(#"sum by (status) (bytes_over_time({app=~".+"} | status="500" [1m]))"#) == [#"{status="500"}"#: "60:2.0"])
        #expect(try points(#"sum(rate({app="web"} | app="api" [1m]))"#).isEmpty)
        #expect(source.entryScans.withLock { $0 } == 0)
        #expect(source.columnScans.withLock { $0.map(\.lineLengths) } == [false, false, true, false])
        // A line filter needs the lines: entry by entry.
        #expect(try points(#"count_over_time({app="api"} |= "h" [1m])"#) == [#"{app="api", level="info"}"#: "60:1.0", #"{app="api", level="info", status="500"}"#: "60:1.0"])
        #expect(source.entryScans.withLock { $0 } == 1)
    }

    @Test func stepWindowsAreTheDivisions() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<300 {
            let step = Int64.random(in: 1...1_000, using: &random)
            let range = Int64.random(in: 1...20_000, using: &random)
            let count = Int.random(in: 1...50, using: &random)
            var windows = StepWindows(step: step, range: range, count: count)
            let highest = Int64(count - 1) * step
            var offset = Int64.random(in: (1 - range)...highest, using: &random)
            for _ in 0..<200 {
                // Mostly small steps forward (a block in time order), sometimes anywhere.
                offset = Int.random(in: 0..<10, using: &random) == 0 ? Int64.random(in: (1 - range)...highest, using: &random)
                    : min(highest, offset + Int64.random(in: 0...(step / 3 + 1), using: &random))
                let from = offset <= 0 ? 0 : Int((offset - 1) / step + 1)
                let to = min(Int((offset + range - 1) / step + 1), count)
                let cached = windows.steps(offset)
                #expect(cached.from == from && cached.to == to, "offset \(offset) step \(step) range \(range) count \(count)")
                if cached.from != from || cached.to != to { return }
            }
        }
    }

    @Test func columnReadingIsCancelledAndLimited() throws {
        let many = (0..<10_000).map { Self.entry(Int64($0 % 500), ["app": "api", "host": "h\($0 % 50)"], "line \($0)", offset: Int64($0)) }
        let engine = LogQLEngine(source: ReadCountingSource(ArrayLogSource(many)), limits: LogQLLimits(maxIntermediateCells: 40 * 102))
        #expect(throws: LogQLCancelled.self) {
            try engine.queryRange(#"sum(count_over_time({app="api"}[1m]))"#, start: Self.at(0), end: Self.at(500), stepNanoseconds: Self.second * 5,
                                  limit: 10, direction: .forward, isCancelled: { true })
        }
        #expect(throws: LogQLLimitError.self) {
            try engine.queryRange(#"sum by (host) (count_over_time({app="api"}[1m]))"#, start: Self.at(0), end: Self.at(500),
                                  stepNanoseconds: Self.second * 5, limit: 10, direction: .forward)
        }
        let fewer = try engine.queryRange(#"sum by (host) (count_over_time({app="api", host=~"h[1-3]"}[1m]))"#, start: Self.at(0),
                                          end: Self.at(500), stepNanoseconds: Self.second * 5, limit: 10, direction: .forward)
        guard case .matrix(let series) = fewer else { Issue.record("not a matrix"); return }
        #expect(series.count == 3)
    }

    /// Records the scans the engine asks for.
    final class RecordingSource: LogEntrySource {
        let inner: ArrayLogSource
        let scans = Mutex<[LogScan]>([])
        init(_ inner: ArrayLogSource) { self.inner = inner }
        func scan(_ scan: LogScan, visit: (ScannedEntry) throws -> Bool) throws {
            scans.withLock { $0.append(scan) }
            try inner.scan(scan, visit: visit)
        }
        func streams(matching matchers: [LabelMatcher], start: Timestamp, end: Timestamp) throws -> [Labels] { [] }
    }

    @Test func scanAsksForOnlyWhatTheQueryReads() throws {
        let source = RecordingSource(ArrayLogSource([Self.entry(5, app, "x", ["status": "500", "level": "debug"])]))
        let engine = LogQLEngine(source: source)
        #expect(try matrix(engine, #"sum by (level) (count_over_time({host=~".+"}[1m]))"#, start: 0, end: 60, step: 30).isEmpty)
        _ = try matrix(engine, #"sum by (level) (count_over_time({app=~".+"}[1m]))"#, start: 0, end: 60, step: 30)
        _ = try matrix(engine, #"count_over_time({app="api"} |= "x" | status > 3 | line_format "{{.a}}" |= "y" [1m])"#, start: 0, end: 60, step: 30)
        let scans = source.scans.withLock { $0 }
        #expect(scans.count == 3)
        #expect(scans[1].needsLines == false && scans[1].metadataNames == ["level"] && scans[1].requiredSubstrings.isEmpty)
        #expect(scans[1].start == Timestamp(nanosecondsSinceEpoch: Self.t0 - 60 * Self.second + 1))
        #expect(scans[1].end == Timestamp(nanosecondsSinceEpoch: Self.t0 + 60 * Self.second + 1))
        #expect(scans[2].needsLines && scans[2].metadataNames == nil && scans[2].requiredSubstrings == [Array("x".utf8)])
        // Metadata `level` clashes with the stream's level: it becomes level_extracted.
        let clash = try matrix(engine, #"sum by (level) (count_over_time({app=~".+"}[1m]))"#, start: 30, end: 30, step: 30)
        #expect(clash.keys.sorted() == [#"{level="info"}"#])
    }
}
