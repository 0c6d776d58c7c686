import SluiceModel
import Testing
@testable import PromQL

/// Instant-vector functions.
@Suite struct PromQLFunctionTests {
    private let gauges = engine(
        series(["__name__": "g", "i": "a"], [(0, -1.5)]),
        series(["__name__": "g", "i": "b"], [(0, 2.5)]),
        series(["__name__": "g", "i": "c"], [(0, 100)]))

    @Test func mathFunctionsDropTheName() throws {
        #expect(try vector(gauges, "abs(g)", at: 1).map(\.1) == [1.5, 2.5, 100])
        #expect(try vector(gauges, "abs(g)", at: 1).allSatisfy { $0.0["__name__"] == nil })
        #expect(try vector(gauges, "ceil(g)", at: 1).map(\.1) == [-1, 3, 100])
        #expect(try vector(gauges, "floor(g)", at: 1).map(\.1) == [-2, 2, 100])
        #expect(try vector(gauges, "round(g)", at: 1).map(\.1) == [-1, 3, 100])  // ties round up
        #expect(try vector(gauges, "round(g, 2)", at: 1).map(\.1) == [-2, 2, 100])
        #expect(try vector(gauges, "log10(g)", at: 1).last?.1 == 2)
        #expect(try vector(gauges, "log2(g)", at: 1).dropFirst().map(\.1).first.map { isClose($0, 1.3219280948873624) } == true)
        #expect(try vector(gauges, "sqrt(g)", at: 1).last?.1 == 10)
        #expect(try vector(gauges, "sgn(g)", at: 1).map(\.1) == [-1, 1, 1])
        #expect(try vector(gauges, "clamp(g, 0, 10)", at: 1).map(\.1) == [0, 2.5, 10])
        #expect(try vector(gauges, "clamp(g, 10, 0)", at: 1).isEmpty)
        #expect(try vector(gauges, "clamp_min(g, 0)", at: 1).map(\.1) == [0, 2.5, 100])
        #expect(try vector(gauges, "clamp_max(g, 0)", at: 1).map(\.1) == [-1.5, 0, 0])
        #expect(try vector(gauges, "exp(g)", at: 1).first.map { isClose($0.1, 0.22313016014842982) } == true)
        #expect(try vector(gauges, "ln(g)", at: 1)[0].1.isNaN)
    }

    @Test func sortDefinesTheOrder() throws {
        #expect(try vector(gauges, "sort_desc(g)", at: 1).map(\.1) == [100, 2.5, -1.5])
        #expect(try vector(gauges, "sort(-g)", at: 1).map(\.1) == [-100, -2.5, 1.5])
        #expect(try vector(gauges, "sort(g)", at: 1).allSatisfy { $0.0["__name__"] == "g" })  // sort keeps the name
        // Without sort, results come sorted by labels.
        #expect(try vector(gauges, "-g", at: 1).map { $0.0["i"] } == ["a", "b", "c"])
    }

    @Test func scalarVectorAndTime() throws {
        #expect(try scalar(gauges, "time()", at: 12.5) == Double(at(12.5)) / 1000)
        #expect(try scalar(gauges, "scalar(g)", at: 1)?.isNaN == true)  // three samples: NaN
        #expect(try scalar(gauges, #"scalar(g{i="b"})"#, at: 1) == 2.5)
        #expect(try vector(gauges, "vector(3)", at: 1).map(\.0) == [Labels()])
        #expect(try single(gauges, "vector(time())", at: 2) == Double(at(2)) / 1000)
    }

    @Test func absentReportsEqualityMatchers() throws {
        #expect(try vector(gauges, "absent(g)", at: 1).isEmpty)
        let absent = try vector(gauges, #"absent(missing{job="x", env=~"p.*", zone="a", zone="b"})"#, at: 1)
        #expect(absent.map(\.0) == [["job": "x"]])  // regex and repeated labels are left out
        #expect(absent.map(\.1) == [1])
        #expect(try vector(gauges, "absent(sum(missing))", at: 1).map(\.0) == [Labels()])
    }

    @Test func labelReplaceAndJoin() throws {
        let replaced = try vector(gauges, #"label_replace(g, "letter", "x-$1", "i", "(a|b)")"#, at: 1)
        #expect(replaced.map { $0.0["letter"] } == ["x-a", "x-b", nil])
        #expect(replaced.allSatisfy { $0.0["__name__"] == "g" })
        let named = try vector(gauges, #"label_replace(g, "letter", "${name}!$$", "i", "(?P<name>.)")"#, at: 1)
        #expect(named.map { $0.0["letter"] } == ["a!$", "b!$", "c!$"])
        let removed = try vector(gauges, #"label_replace(g, "i", "", "i", "a")"#, at: 1)
        #expect(removed.first?.0 == ["__name__": "g"])
        let joined = try vector(gauges, #"label_join(g, "both", "-", "__name__", "missing", "i")"#, at: 1)
        #expect(joined.map { $0.0["both"] } == ["g--a", "g--b", "g--c"])
        #expect(executionError { try gauges.instantQuery(#"label_replace(g, "a-b", "", "i", "")"#, at: at(1)) }
            == "invalid destination label name in label_replace(): a-b")
    }

    /// Buckets 0.1: 10, 0.5: 30, +Inf: 40; the median (rank 20) lies in (0.1, 0.5], halfway
    /// through its 20 observations: 0.1 + 0.4 × 10/20 = 0.3.
    @Test func histogramQuantileInterpolatesWithinTheBucket() throws {
        let e = engine(
            series(["__name__": "h_bucket", "job": "a", "le": "0.1"], [(0, 10)]),
            series(["__name__": "h_bucket", "job": "a", "le": "0.5"], [(0, 30)]),
            series(["__name__": "h_bucket", "job": "a", "le": "+Inf"], [(0, 40)]))
        let result = try vector(e, "histogram_quantile(0.5, h_bucket)", at: 1)
        #expect(result.map(\.0) == [["job": "a"]])
        #expect(isClose(result.first?.1, 0.3))
        #expect(try single(e, "histogram_quantile(0.9, h_bucket)", at: 1) == 0.5)  // rank 36 is in +Inf: the highest finite bound
        #expect(isClose(try single(e, "histogram_quantile(0.1, h_bucket)", at: 1), 0.04))  // rank 4 of the first bucket, from 0
    }

    @Test func dateFunctionsUseUTC() throws {
        // 2024-02-29T13:45:00Z (a leap day, a Thursday).
        let e = engine()
        let t = "vector(1709214300)"
        #expect(try single(e, "year(\(t))", at: 0) == 2024)
        #expect(try single(e, "month(\(t))", at: 0) == 2)
        #expect(try single(e, "day_of_month(\(t))", at: 0) == 29)
        #expect(try single(e, "day_of_year(\(t))", at: 0) == 60)
        #expect(try single(e, "day_of_week(\(t))", at: 0) == 4)
        #expect(try single(e, "days_in_month(\(t))", at: 0) == 29)
        #expect(try single(e, "hour(\(t))", at: 0) == 13)
        #expect(try single(e, "minute(\(t))", at: 0) == 45)
    }
}
