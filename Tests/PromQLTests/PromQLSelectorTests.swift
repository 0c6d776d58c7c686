import SluiceModel
import Testing
@testable import PromQL

/// Instant and range selectors: lookback, staleness, offsets, extrapolated rates.
@Suite struct PromQLSelectorTests {
    @Test func lookbackIsClosedAtFiveMinutes() throws {
        let e = engine(series(["__name__": "g"], [(0, 7)]))
        #expect(try single(e, "g", at: 0) == 7)
        #expect(try single(e, "g", at: 300) == 7)  // t >= ts - 5m: exactly 5 minutes old still counts
        #expect(try vector(e, "g", at: 300.001).isEmpty)
        #expect(try vector(e, "g", at: -0.001).isEmpty)  // never a sample from the future
    }

    @Test func lookbackDeltaIsConfigurable() throws {
        let e = PromQLEngine(source: InMemorySampleSource([series(["__name__": "g"], [(0, 7)])]), lookbackDelta: 60_000)
        #expect(try vector(e, "g", at: 60).count == 1)
        #expect(try vector(e, "g", at: 61).isEmpty)
    }

    @Test func newestSampleWinsAndKeepsTheMetricName() throws {
        let e = engine(series(["__name__": "g", "a": "1"], [(0, 1), (10, 2), (20, 3)]))
        let result = try vector(e, "g", at: 15)
        #expect(result.count == 1)
        #expect(result.first?.0 == ["__name__": "g", "a": "1"])
        #expect(result.first?.1 == 2)
    }

    @Test func staleMarkerEndsTheSeries() throws {
        let e = engine(series(["__name__": "g"], [(0, 1), (10, StaleMarker.value), (30, 4)]))
        #expect(try single(e, "g", at: 5) == 1)
        #expect(try vector(e, "g", at: 10).isEmpty)
        #expect(try vector(e, "g", at: 20).isEmpty)  // the newest sample is the marker: no look further back
        #expect(try single(e, "g", at: 30) == 4)
        // Range selectors leave the marker out.
        #expect(try single(e, "count_over_time(g[1m])", at: 40) == 2)
        #expect(try single(e, "last_over_time(g[15s])", at: 20) == nil)
    }

    @Test func ordinaryNaNIsAValue() throws {
        let e = engine(series(["__name__": "g"], [(0, .nan)]))
        #expect(try single(e, "g", at: 1)?.isNaN == true)
    }

    @Test func offsetLooksBackOrAhead() throws {
        let e = engine(series(["__name__": "g"], [(0, 1), (60, 2), (120, 3)]))
        #expect(try single(e, "g offset 1m", at: 120) == 2)
        #expect(try single(e, "g offset -1m", at: 0) == 2)
        #expect(try single(e, "sum_over_time(g[1m] offset 1m)", at: 120) == 3)  // window [0, 60], both ends closed
    }

    @Test func rangeWindowIsClosedAtBothEnds() throws {
        let e = engine(series(["__name__": "c"], [(0, 1), (30, 2), (60, 3)]))
        #expect(try single(e, "count_over_time(c[1m])", at: 60) == 3)
        #expect(try single(e, "count_over_time(c[1m])", at: 60.001) == 2)
    }

    @Test func rangeSelectorAtTopReturnsRawSamples() throws {
        let e = engine(series(["__name__": "c", "a": "1"], [(0, 1), (30, 2), (60, 3)]))
        let result = try e.instantQuery("c[45s]", at: at(60))
        #expect(result == .matrix([PromQLSeries(labels: ["__name__": "c", "a": "1"],
                                                points: [PromQLPoint(time: at(30), value: 2), PromQLPoint(time: at(60), value: 3)])]))
    }

    /// A counter 20, 30, 5, 15 at 15 s, 30 s, 45 s, 60 s; `[1m]` at 70 s covers [10 s, 70 s].
    /// Increase with the reset: 15 - 20 + 30 = 25 over 45 s of samples. The first sample is
    /// 5 s from the window start and the last 10 s from its end, both under 1.1 × 15 s, so
    /// the result extrapolates to the full 60 s: 25 × 60 / 45.
    @Test func rateCorrectsResetsAndExtrapolatesToTheWindow() throws {
        let e = engine(series(["__name__": "c", "job": "a"], [(0, 10), (15, 20), (30, 30), (45, 5), (60, 15)]))
        let increase = try vector(e, "increase(c[1m])", at: 70)
        #expect(increase.first?.0 == ["job": "a"])  // rate and increase drop the metric name
        #expect(isClose(increase.first?.1, 25.0 * 60 / 45))
        #expect(isClose(try single(e, "rate(c[1m])", at: 70), 25.0 * 60 / 45 / 60))
        #expect(isClose(try single(e, "resets(c[1m])", at: 70), 1))
        // Without the reset correction, delta sees only the difference: (15 - 20) × 60 / 45.
        #expect(isClose(try single(e, "delta(c[1m])", at: 70), -5.0 * 60 / 45))
    }

    /// Samples at 30 s, 45 s, 60 s in a [0, 120 s] window: 30 s and 60 s from the edges,
    /// beyond 1.1 × 15 s, so each side extrapolates by half an interval only: 20 × 45 / 30.
    @Test func extrapolationStopsAtTheThreshold() throws {
        let e = engine(series(["__name__": "c"], [(30, 100), (45, 110), (60, 120)]))
        #expect(isClose(try single(e, "increase(c[2m])", at: 120), 20.0 * 45 / 30))
    }

    /// Counter 1, 11, 21 at 30 s, 45 s, 60 s in [0, 60 s]: extrapolating 30 s back would go
    /// below zero; the counter reaches zero 1.5 s before the first sample (30 × 1/20), so the
    /// interval is 30 + 1.5 s: 20 × 31.5 / 30 = 21.
    @Test func counterExtrapolationStopsAtZero() throws {
        let e = engine(series(["__name__": "c"], [(30, 1), (45, 11), (60, 21)]))
        #expect(isClose(try single(e, "increase(c[1m])", at: 60), 20.0 * 31.5 / 30))
        // A gauge has no such floor: delta extrapolates half an interval (7.5 s) at the start.
        #expect(isClose(try single(e, "delta(c[1m])", at: 60), 20.0 * 37.5 / 30))
    }

    @Test func rateNeedsTwoSamples() throws {
        let e = engine(series(["__name__": "c"], [(0, 1), (100, 2)]))
        #expect(try vector(e, "rate(c[1m])", at: 60).isEmpty)
        #expect(try vector(e, "irate(c[1m])", at: 60).isEmpty)
    }

    @Test func irateUsesTheLastTwoSamples() throws {
        let e = engine(series(["__name__": "c"], [(0, 5), (15, 10), (30, 40), (45, 3)]))
        #expect(isClose(try single(e, "irate(c[1m])", at: 45), 3.0 / 15))  // a drop is a reset: the new value counts
        #expect(isClose(try single(e, "idelta(c[1m])", at: 45), -37))
        #expect(isClose(try single(e, "irate(c[1m])", at: 30), 30.0 / 15))
    }

    @Test func overTimeFunctions() throws {
        let e = engine(series(["__name__": "g", "a": "x"], [(0, 2), (10, 4), (20, 4), (30, 10)]))
        #expect(try single(e, "avg_over_time(g[1m])", at: 30) == 5)
        #expect(try single(e, "sum_over_time(g[1m])", at: 30) == 20)
        #expect(try single(e, "min_over_time(g[1m])", at: 30) == 2)
        #expect(try single(e, "max_over_time(g[1m])", at: 30) == 10)
        #expect(try single(e, "count_over_time(g[1m])", at: 30) == 4)
        #expect(try single(e, "present_over_time(g[1m])", at: 30) == 1)
        #expect(try single(e, "changes(g[1m])", at: 30) == 2)
        #expect(isClose(try single(e, "stdvar_over_time(g[1m])", at: 30), 9))  // deviations -3, -1, -1, 5
        #expect(isClose(try single(e, "stddev_over_time(g[1m])", at: 30), 3))
        #expect(try single(e, "quantile_over_time(0.5, g[1m])", at: 30) == 4)
        #expect(try single(e, "quantile_over_time(0.25, g[1m])", at: 30) == 3.5)  // rank 0.75 between 2 and 4
        let last = try vector(e, "last_over_time(g[1m])", at: 30)
        #expect(last.first?.0 == ["__name__": "g", "a": "x"])  // keeps the name, like an offset would
        #expect(last.first?.1 == 10)
        #expect(isClose(try single(e, "deriv(g[1m])", at: 30), 0.24))  // least squares over (0,2),(10,4),(20,4),(30,10)
    }

    @Test func absentOverTime() throws {
        let e = engine(series(["__name__": "g", "job": "a"], [(0, 1)]))
        #expect(try vector(e, #"absent_over_time(g{job="a"}[1m])"#, at: 30).isEmpty)
        let absent = try vector(e, #"absent_over_time(g{job="a", x=~"y"}[1m])"#, at: 90)
        #expect(absent.first?.0 == ["job": "a"])
        #expect(absent.first?.1 == 1)
    }

    @Test func timestampReportsTheSampleTime() throws {
        let e = engine(series(["__name__": "g"], [(10, 1)]))
        #expect(try single(e, "timestamp(g)", at: 100) == Double(at(10)) / 1000)
        #expect(try single(e, "timestamp(-g)", at: 100) == Double(at(100)) / 1000)  // a computed vector is "now"
    }

    @Test func sameLabelsAfterDroppingTheNameIsAnError() {
        let e = engine(series(["__name__": "a", "x": "1"], [(0, 1), (10, 2)]), series(["__name__": "b", "x": "1"], [(0, 1), (10, 2)]))
        #expect(executionError { try e.instantQuery(#"rate({__name__=~"a|b"}[1m])"#, at: at(10)) }
            == "vector cannot contain metrics with the same labelset")
        #expect(executionError { try e.instantQuery(#"{__name__=~"a|b"} * 2"#, at: at(10)) }
            == "vector cannot contain metrics with the same labelset")
    }
}
