import SluiceModel
import Testing
@testable import PromQL

/// Range queries: steps, series assembly, the single fetch per selector, limits.
@Suite struct PromQLRangeQueryTests {
    @Test func seriesAreTheUnionOverStepsSortedByLabels() throws {
        let source = InMemorySampleSource([
            series(["__name__": "g", "i": "b"], [(0, 1), (60, 2)]),
            series(["__name__": "g", "i": "a"], [(400, 5)]),
        ])
        let e = PromQLEngine(source: source, lookbackDelta: 90_000)
        let result = try e.rangeQuery("g", start: at(0), end: at(480), step: 60_000)
        guard case .matrix(let matrix) = result else {
            Issue.record("not a matrix")
            return
        }
        #expect(matrix.map { $0.labels["i"] } == ["a", "b"])
        // a: sampled at 400 s, visible at 420 and 480 (within 90 s); b: at 0, 60, 120 (60 + 60), not 180.
        #expect(matrix[0].points.map(\.time) == [at(420), at(480)])
        #expect(matrix[1].points.map(\.time) == [at(0), at(60), at(120)])
        #expect(matrix[1].points.map(\.value) == [1, 2, 2])
    }

    @Test func eachSelectorIsFetchedOnceForTheWholeRange() throws {
        let source = InMemorySampleSource()
        source.add(["__name__": "c"], start: at(0), interval: 10_000, count: 400) { Double($0) }
        let e = PromQLEngine(source: source)
        _ = try e.rangeQuery("rate(c[5m] offset 1m) + c", start: at(600), end: at(3600), step: 30_000)
        #expect(source.fetchCount == 2)
        // The range selector from the first window's start; the instant selector from the
        // first step's lookback.
        #expect(source.fetchedRanges.map(\.start) == [at(600 - 300 - 60), at(600 - 300)])
        #expect(source.fetchedRanges.map(\.end) == [at(3600 - 60), at(3600)])
    }

    @Test func rangeAndInstantQueriesAgreeAtEveryStep() throws {
        let source = InMemorySampleSource()
        var counter = 0.0
        source.add(["__name__": "c", "job": "a"], start: at(3), interval: 15_000, count: 200) { index in
            counter = index % 50 == 49 ? 3 : counter + Double(index % 7)
            return counter
        }
        let e = PromQLEngine(source: source)
        for query in ["rate(c[1m])", "sum(increase(c[5m])) by (job)", "c > bool 20", "avg_over_time(c[2m]) * 2"] {
            guard case .matrix(let matrix) = try e.rangeQuery(query, start: at(100), end: at(2900), step: 70_000) else {
                Issue.record("not a matrix")
                continue
            }
            for step in stride(from: Int64(100), through: 2900, by: 70) {
                let instant = try vector(e, query, at: Double(step))
                let fromRange = matrix.compactMap { series in
                    series.points.first { $0.time == at(Double(step)) }.map { (series.labels, $0.value) }
                }
                #expect(instant.map(\.0) == fromRange.map(\.0), "\(query) at \(step)")
                #expect(instant.map(\.1) == fromRange.map(\.1), "\(query) at \(step)")
            }
        }
    }

    @Test func scalarRangeQueryIsOneSeriesWithoutLabels() throws {
        let result = try engine().rangeQuery("time() * 2", start: at(0), end: at(20), step: 10_000)
        #expect(result == .matrix([PromQLSeries(labels: Labels(), points: [0, 10, 20].map {
            PromQLPoint(time: at(Double($0)), value: Double(at(Double($0))) / 500)
        })]))
    }

    @Test func limitsAndShapes() {
        let e = engine()
        #expect(executionError { try e.rangeQuery("vector(1)", start: 0, end: 11_001_000, step: 1_000) }
            == "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        #expect(executionError { try e.rangeQuery("vector(1)", start: 0, end: 11_000_000, step: 1_000) } == nil)
        #expect(executionError { try e.rangeQuery("vector(1)", start: 0, end: 10, step: 0) }
            == "zero or negative query resolution step widths are not accepted. Try a positive integer")
        #expect(executionError { try e.rangeQuery("vector(1)", start: 10, end: 0, step: 1) }
            == "end timestamp must not be before start time")
        #expect(executionError { try e.rangeQuery(#""text""#, start: 0, end: 10, step: 1) }
            == #"invalid expression type "string" for range query, must be Scalar or instant Vector"#)
        #expect(executionError { try e.instantQuery("x offset 292y", at: Int64.min) } == "time out of range: \(Int64.min) ms")
        #expect(executionError { try e.rangeQuery("x[5m]", start: 0, end: 10, step: 1) }
            == #"invalid expression type "range vector" for range query, must be Scalar or instant Vector"#)
    }

    @Test func tooManySamplesIsRefusedBeforeEvaluating() {
        let source = InMemorySampleSource()
        for index in 0..<5_000 { source.add(["__name__": "x", "i": "\(index)"], [(at(0), 1)]) }
        let e = PromQLEngine(source: source)
        // 5,000 series × 11,001 steps = 55 million values, above Prometheus's 50 million.
        #expect(executionError { try e.rangeQuery("x", start: at(0), end: at(11_000), step: 1_000) }
            == "query processing would load too many samples into memory in query execution")
        #expect(executionError { try e.rangeQuery(#"x{i="1"}"#, start: at(0), end: at(11_000), step: 1_000) } == nil)
    }

    @Test func instantQueriesOfScalarsAndStrings() throws {
        let e = engine()
        #expect(try e.instantQuery("1 + 1", at: 5) == .scalar(time: 5, value: 2))
        #expect(try e.instantQuery(#""hello""#, at: 5) == .string(time: 5, value: "hello"))
    }

    /// A deadline that passes stops the query with a timeout, not a partial answer.
    @Test func aPassedDeadlineStopsTheQuery() throws {
        let engine = engine(series(["__name__": "up", "job": "a"], [(0, 1), (15, 1), (30, 1)]))
        var checks = 0
        let afterTwoChecks = { () -> Bool in
            checks += 1
            return checks > 2
        }
        #expect(throws: PromQLError(kind: .timeout, message: "query timed out in expression evaluation")) {
            _ = try engine.rangeQuery("sum(rate(up[1m])) * 2", start: at(0), end: at(60), step: 15_000, isCancelled: afterTwoChecks)
        }
        #expect(throws: PromQLError.self) { _ = try engine.instantQuery("up", at: at(30), isCancelled: { true }) }
        guard case .vector(let samples) = try engine.instantQuery("up", at: at(30), isCancelled: { false }) else {
            Issue.record("not a vector")
            return
        }
        #expect(samples.count == 1)
    }
}

/// The JSON API's number and time formats, as Prometheus 2.42 writes them.
@Suite struct PromQLValueFormattingTests {
    /// The byte-appending fast paths write exactly what the String formatters write.
    @Test func appendedBytesEqualTheFormattedText() {
        var generator = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, -1, 100, 1.5, 0.1 + 0.2, 1e-6, 9.99e-7, 1e21, 9.99e20, 123456789012345678,
                                .nan, .infinity, -.infinity, 2.5e-5, 1e15, 1e16, 4096 * 1234567, 0.01, 99.99]
        for _ in 0..<2000 {
            values.append(Double(bitPattern: generator.next()))
            values.append(Double(Int.random(in: -1_000_000...1_000_000, using: &generator)) / 100)
        }
        for value in values {
            var bytes: [UInt8] = []
            PromQLValue.appendSampleValue(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == PromQLValue.formatSampleValue(value), "\(value.bitPattern)")
        }
        for milliseconds: Int64 in [0, 5, 50, 500, 1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_999, -1500, 999] {
            var bytes: [UInt8] = []
            PromQLValue.appendSampleTime(milliseconds, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == PromQLValue.formatSampleTime(milliseconds))
        }
    }

    @Test(arguments: [
        (0.1 + 0.2, "0.30000000000000004"),
        (100, "100"),
        (1.5, "1.5"),
        (-0.5, "-0.5"),
        (0.000001, "0.000001"),
        (1e-7, "1e-07"),
        (-2.5e-10, "-2.5e-10"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.2345e300, "1.2345e+300"),
        (123456789012345678, "123456789012345680"),
        (0, "0"),
        (Double.nan, "NaN"),
        (Double.infinity, "+Inf"),
        (-Double.infinity, "-Inf"),
    ])
    func sampleValues(value: Double, expected: String) {
        #expect(PromQLValue.formatSampleValue(value) == expected)
    }

    @Test func scalarValuesNeverUseAnExponent() {
        #expect(PromQLValue.formatScalarValue(1e-7) == "0.0000001")
        #expect(PromQLValue.formatScalarValue(1e21) == "1000000000000000000000")
        #expect(PromQLValue.formatScalarValue(-Double.infinity) == "-Inf")
    }

    @Test func times() {
        #expect(PromQLValue.formatSampleTime(1_700_000_000_000) == "1700000000")
        #expect(PromQLValue.formatSampleTime(1_700_000_000_500) == "1700000000.500")
        #expect(PromQLValue.formatSampleTime(1_700_000_000_050) == "1700000000.050")
        #expect(PromQLValue.formatSampleTime(1_700_000_000_005) == "1700000000.005")
        #expect(PromQLValue.formatSampleTime(-1_500) == "-1.500")
        #expect(PromQLValue.formatScalarTime(1_700_000_000_500) == "1700000000.5")
        #expect(PromQLValue.formatScalarTime(1_700_000_000_000) == "1700000000")
        #expect(PromQLValue.formatScalarTime(1_700_000_000_123) == "1700000000.123")
    }
}

/// Go's sort and heap, which decide the order of ties.
@Suite struct GoSortTests {
    @Test func sortsLikeAnyCorrectSort() {
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 5, 12, 13, 50, 51, 300] {
            var values = (0..<count).map { _ in Int.random(in: 0..<20, using: &generator) }
            let expected = values.sorted()
            GoSort.sort(&values, by: <)
            #expect(values == expected)
        }
    }

    @Test func equalElementsKeepInsertionSortOrderOnShortInputs() {
        var pairs = [(1, "a"), (0, "b"), (1, "c"), (0, "d")]
        GoSort.sort(&pairs) { $0.0 < $1.0 }
        #expect(pairs.map(\.1) == ["b", "d", "a", "c"])
    }

    @Test func heapPopsTheSmallest() {
        var heap = GoHeap<Int>(elements: [], isLess: <)
        for value in [5, 3, 8, 1, 9] { heap.push(value) }
        #expect((0..<5).map { _ in heap.pop() } == [1, 3, 5, 8, 9])
    }
}
