import SluiceModel
import Testing
@testable import PromQL

/// Binary operators and vector matching.
@Suite struct PromQLOperatorTests {
    private let requests = engine(
        series(["__name__": "req", "job": "api", "instance": "a", "method": "get"], [(0, 10)]),
        series(["__name__": "req", "job": "api", "instance": "a", "method": "post"], [(0, 20)]),
        series(["__name__": "req", "job": "api", "instance": "b", "method": "get"], [(0, 30)]),
        series(["__name__": "info", "job": "api", "instance": "a", "version": "1.0"], [(0, 1)]),
        series(["__name__": "info", "job": "api", "instance": "b", "version": "2.0"], [(0, 1)]),
        series(["__name__": "up", "job": "api", "instance": "a"], [(0, 1)]),
        series(["__name__": "up", "job": "api", "instance": "b"], [(0, 0)]))

    @Test func scalarArithmeticFollowsPrecedence() throws {
        let e = engine()
        #expect(try scalar(e, "1 + 2 * 3") == 7)
        #expect(try scalar(e, "2 ^ 3 ^ 2") == 512)
        #expect(try scalar(e, "-2 ^ 2") == -4)
        #expect(try scalar(e, "1 - 2 - 3") == -4)
        #expect(try scalar(e, "7 % 4 * 2") == 6)
        #expect(try scalar(e, "-7 % 4") == -3)  // the sign of the dividend, as Go's math.Mod
        #expect(try scalar(e, "1 > bool 2") == 0)
        #expect(try scalar(e, "2 >= bool 2") == 1)
        #expect(try scalar(e, "1 / 0") == .infinity)
        #expect(try scalar(e, "0x10 + 017") == 31)
    }

    @Test func groupLeftCopiesLabelsFromTheOneSide() throws {
        let result = try vector(requests, "req * on(job, instance) group_left(version) info", at: 1)
        #expect(result.map(\.0) == [
            ["instance": "a", "job": "api", "method": "get", "version": "1.0"],
            ["instance": "a", "job": "api", "method": "post", "version": "1.0"],
            ["instance": "b", "job": "api", "method": "get", "version": "2.0"],
        ])
        #expect(result.map(\.1) == [10, 20, 30])
    }

    @Test func groupRightMirrorsGroupLeft() throws {
        let result = try vector(requests, "info * on(instance) group_right(version) req", at: 1)
        #expect(result.map(\.0).allSatisfy { $0["version"] != nil && $0["method"] != nil && $0["__name__"] == nil })
        #expect(result.map(\.1) == [10, 20, 30])
    }

    @Test func oneToOneMatchingKeepsOnlyTheMatchingLabels() throws {
        let result = try vector(requests, "sum by (job, instance) (req) / on(instance) up", at: 1)
        #expect(result.map(\.0) == [["instance": "a"], ["instance": "b"]])
        #expect(result.map(\.1) == [30, .infinity])
        let ignoring = try vector(requests, "sum by (job, instance) (req) - ignoring(job) up", at: 1)
        #expect(ignoring.map(\.0) == [["instance": "a"], ["instance": "b"]])
        #expect(ignoring.map(\.1) == [29, 30])
    }

    @Test func manyToManyIsAnErrorWithPrometheusWording() {
        #expect(executionError { try requests.instantQuery("up + on(job) req", at: at(1)) } == """
            found duplicate series for the match group {job="api"} on the right hand-side of the operation: \
            [{__name__="req", instance="a", job="api", method="post"}, {__name__="req", instance="a", job="api", method="get"}];\
            many-to-many matching not allowed: matching labels must be unique on one side
            """)
        #expect(executionError { try requests.instantQuery("req + ignoring(method) up", at: at(1)) }
            == "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
        let error = executionError { try requests.instantQuery("req", at: at(1)) }
        #expect(error == nil)
    }

    @Test func comparisonsFilterAndBoolReturnsZeroOrOne() throws {
        let filtered = try vector(requests, "req > 15", at: 1)
        #expect(filtered.map(\.1) == [20, 30])
        #expect(filtered.allSatisfy { $0.0["__name__"] == "req" })  // filtering keeps the name
        let flagged = try vector(requests, "req > bool 15", at: 1)
        #expect(flagged.map(\.1) == [0, 1, 1])
        #expect(flagged.allSatisfy { $0.0["__name__"] == nil })  // bool drops it
        // A scalar on the left still keeps the vector's value.
        #expect(try vector(requests, "15 < req", at: 1).map(\.1) == [20, 30])
        #expect(try vector(requests, "up == bool on(instance) up", at: 1).map(\.1) == [1, 1])
        #expect(try vector(requests, "up == on(instance) up", at: 1).map(\.1) == [1, 0])
    }

    @Test func arithmeticDropsTheName() throws {
        let result = try vector(requests, "up * 2 + 1", at: 1)
        #expect(result.map(\.0) == [["instance": "a", "job": "api"], ["instance": "b", "job": "api"]])
        #expect(result.map(\.1) == [3, 1])
        #expect(try vector(requests, "-up", at: 1).allSatisfy { $0.0["__name__"] == nil })
        #expect(try vector(requests, "+up", at: 1).allSatisfy { $0.0["__name__"] == "up" })
    }

    @Test func setOperators() throws {
        #expect(try vector(requests, "req and on(instance) (up == 1)", at: 1).map(\.1) == [10, 20])
        #expect(try vector(requests, "req unless on(instance) (up == 1)", at: 1).map(\.1) == [30])
        let union = try vector(requests, #"up or info{version="2.0"}"#, at: 1)
        // Without on(), info's extra version label makes its signature new: it is added.
        #expect(union.map { $0.0["__name__"] } == ["info", "up", "up"])
        let union2 = try vector(requests, #"up{instance="a"} or on(instance) info"#, at: 1)
        #expect(union2.map { $0.0["__name__"] } == ["info", "up"])  // sorted by labels; info for instance b added
    }

    @Test func comparisonsBetweenScalarsNeedBool() {
        #expect(executionError { try engine().instantQuery("1 == 1", at: at(0)) }
            == "1:3: parse error: comparisons between scalars must use BOOL modifier")
    }
}

/// Aggregations: grouping, the incremental mean, topk ties, quantile, count_values.
@Suite struct PromQLAggregationTests {
    @Test func groupingByAndWithout() throws {
        let e = engine(
            series(["__name__": "m", "job": "a", "instance": "1"], [(0, 1)]),
            series(["__name__": "m", "job": "a", "instance": "2"], [(0, 2)]),
            series(["__name__": "m", "job": "b", "instance": "1"], [(0, 4)]))
        #expect(try vector(e, "sum by (job) (m)", at: 1).map { [$0.0["job"] ?? "", "\($0.1)"] } == [["a", "3.0"], ["b", "4.0"]])
        #expect(try vector(e, "sum(m) without (instance)", at: 1).map(\.0) == [["job": "a"], ["job": "b"]])
        #expect(try vector(e, "sum(m)", at: 1).map(\.1) == [7])
        #expect(try vector(e, "count(m)", at: 1).map(\.1) == [3])
        #expect(try vector(e, "max by (instance) (m)", at: 1).map(\.1) == [4, 2])
        #expect(try vector(e, "min(m)", at: 1).map(\.1) == [1])
        #expect(try vector(e, "group by (job) (m)", at: 1).map(\.1) == [1, 1])
        #expect(isClose(try single(e, "stdvar(m)", at: 1), 14.0 / 9))  // mean 7/3
        #expect(try vector(e, "sum by (nonexistent) (m)", at: 1).map(\.0) == [Labels()])
    }

    @Test func averageUsesTheIncrementalMean() throws {
        // A plain sum would overflow to +Inf; the running mean stays finite.
        let e = engine(
            series(["__name__": "m", "i": "1"], [(0, 1e308)]),
            series(["__name__": "m", "i": "2"], [(0, 1e308)]),
            series(["__name__": "m", "i": "3"], [(0, -1e308)]))
        #expect(isClose(try single(e, "avg(m)", at: 1), 1e308 / 3, relative: 1e-9))
        #expect(try single(e, "sum(m)", at: 1) == .infinity)
        let infinities = engine(series(["__name__": "m", "i": "1"], [(0, .infinity)]), series(["__name__": "m", "i": "2"], [(0, 5)]))
        #expect(try single(infinities, "avg(m)", at: 1) == .infinity)
    }

    /// Prometheus's incremental mean, written out for [0.1, 0.2, 0.7]: the last bits differ
    /// from (0.1 + 0.2 + 0.7) / 3.
    @Test func averageMatchesPrometheusBitForBit() throws {
        let values = [0.1, 0.2, 0.7]
        let e = PromQLEngine(source: InMemorySampleSource(values.enumerated().map { index, value in
            series(["__name__": "m", "i": "\(index)"], [(0, value)])
        }))
        var mean = values[0]
        for (index, value) in values.enumerated().dropFirst() {
            let count = Double(index + 1)
            mean += value / count - mean / count
        }
        #expect(try single(e, "avg(m)", at: 1) == mean)
    }

    @Test func topkAndBottomkTiesFollowGoHeapOrder() throws {
        let e = engine(
            series(["__name__": "m", "s": "a"], [(0, 1)]),
            series(["__name__": "m", "s": "b"], [(0, 2)]),
            series(["__name__": "m", "s": "c"], [(0, 2)]),
            series(["__name__": "m", "s": "d"], [(0, 2)]))
        // Heap [a, b]; c evicts a; d ties with the root b and is not taken.
        let top = try vector(e, "topk(2, m)", at: 1)
        #expect(top.map { $0.0["s"] } == ["b", "c"])
        #expect(top.allSatisfy { $0.0["__name__"] == "m" })  // topk keeps the series' labels
        #expect(try vector(e, "bottomk(2, m)", at: 1).map { $0.0["s"] } == ["a", "b"])
        #expect(try vector(e, "topk(10, m)", at: 1).map(\.1) == [2, 2, 2, 1])
        #expect(try vector(e, "topk(0, m)", at: 1).isEmpty)
        #expect(executionError { try e.instantQuery("topk(NaN, m)", at: at(1)) } == "Scalar value NaN overflows int64")
    }

    @Test func quantileInterpolates() throws {
        let e = PromQLEngine(source: InMemorySampleSource([1.0, 2, 3, 4].enumerated().map { index, value in
            series(["__name__": "m", "i": "\(index)"], [(0, value)])
        }))
        #expect(try single(e, "quantile(0.5, m)", at: 1) == 2.5)
        #expect(isClose(try single(e, "quantile(0.9, m)", at: 1), 3.7))
        #expect(try single(e, "quantile(0, m)", at: 1) == 1)
        #expect(try single(e, "quantile(1.5, m)", at: 1) == .infinity)
        #expect(try single(e, "quantile(-1, m)", at: 1) == -.infinity)
    }

    @Test func countValuesCountsEachValue() throws {
        let e = engine(
            series(["__name__": "m", "i": "1"], [(0, 1)]),
            series(["__name__": "m", "i": "2"], [(0, 1)]),
            series(["__name__": "m", "i": "3"], [(0, 0.5)]))
        let result = try vector(e, #"count_values("value", m)"#, at: 1)
        #expect(result.map(\.0) == [["value": "0.5"], ["value": "1"]])
        #expect(result.map(\.1) == [1, 2])
        #expect(executionError { try e.instantQuery(#"count_values("not valid", m)"#, at: at(1)) } == #"invalid label name "not valid""#)
    }
}
