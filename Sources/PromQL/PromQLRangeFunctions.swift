import Glibc

/// The functions over a range selector's window of one series (Prometheus's
/// functions.go), as pure functions of the window's samples: `times[lo..<hi]`,
/// `values[lo..<hi]`, never empty. `nil` means "no value at this step".
enum PromQLRangeFunctions {
    typealias Times = UnsafeBufferPointer<Int64>
    typealias Values = UnsafeBufferPointer<Double>

    /// Go's `time.Duration.Seconds()` of a whole number of milliseconds.
    static func seconds(ofMilliseconds milliseconds: Int64) -> Double {
        Double(milliseconds / 1000) + Double((milliseconds % 1000) * 1_000_000) / 1e9
    }

    /// `rate`, `increase`, `delta`: the change over the window, with counter resets added
    /// back for counters, extrapolated towards the window's edges when the first or last
    /// sample lies within 1.1 average intervals of them (else by half an interval), and
    /// for counters not below the point where the counter would have been zero.
    static func extrapolatedRate(_ times: Times, _ values: Values, _ lo: Int, _ hi: Int, rangeStart: Int64, rangeEnd: Int64,
                                 range: Int64, isCounter: Bool, isRate: Bool) -> Double? {
        guard hi - lo >= 2 else { return nil }
        let first = lo, last = hi - 1
        var result = values[last] - values[first]
        if isCounter {
            var previous = values[first]
            for index in (first + 1)...last {
                let current = values[index]
                if current < previous { result += previous }
                previous = current
            }
        }
        var durationToStart = Double(times[first] - rangeStart) / 1000
        let durationToEnd = Double(rangeEnd - times[last]) / 1000
        let sampledInterval = Double(times[last] - times[first]) / 1000
        let averageDurationBetweenSamples = sampledInterval / Double(hi - lo - 1)
        if isCounter && result > 0 && values[first] >= 0 {
            let durationToZero = sampledInterval * (values[first] / result)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        let extrapolationThreshold = averageDurationBetweenSamples * 1.1
        var extrapolateToInterval = sampledInterval
        extrapolateToInterval += durationToStart < extrapolationThreshold ? durationToStart : averageDurationBetweenSamples / 2
        extrapolateToInterval += durationToEnd < extrapolationThreshold ? durationToEnd : averageDurationBetweenSamples / 2
        var factor = extrapolateToInterval / sampledInterval
        if isRate { factor /= seconds(ofMilliseconds: range) }
        return result * factor
    }

    /// `irate` and `idelta`: from the last two samples (a drop counts as a reset for irate).
    static func instantValue(_ times: Times, _ values: Values, _ lo: Int, _ hi: Int, isRate: Bool) -> Double? {
        guard hi - lo >= 2 else { return nil }
        let last = values[hi - 1], previous = values[hi - 2]
        var result = isRate && last < previous ? last : last - previous
        let sampledInterval = times[hi - 1] - times[hi - 2]
        if sampledInterval == 0 { return nil }
        if isRate { result /= Double(sampledInterval) / 1000 }
        return result
    }

    /// Prometheus's Kahan-compensated increment.
    @inline(__always)
    static func kahanSumInc(_ increment: Double, _ sum: Double, _ compensation: Double) -> (Double, Double) {
        let total = sum + increment
        var c = compensation
        if sum.magnitude >= increment.magnitude {
            c += (sum - total) + increment
        } else {
            c += (increment - total) + sum
        }
        return (total, c)
    }

    static func average(_ values: Values, _ lo: Int, _ hi: Int) -> Double {
        var mean = 0.0, count = 0.0, compensation = 0.0
        for index in lo..<hi {
            let value = values[index]
            count += 1
            if mean.isInfinite {
                if value.isInfinite && (mean > 0) == (value > 0) { continue }
                if !value.isInfinite && !value.isNaN { continue }
            }
            (mean, compensation) = kahanSumInc(value / count - mean / count, mean, compensation)
        }
        return mean.isInfinite ? mean : mean + compensation
    }

    static func sum(_ values: Values, _ lo: Int, _ hi: Int) -> Double {
        var sum = 0.0, compensation = 0.0
        for index in lo..<hi { (sum, compensation) = kahanSumInc(values[index], sum, compensation) }
        return sum.isInfinite ? sum : sum + compensation
    }

    static func maximum(_ values: Values, _ lo: Int, _ hi: Int) -> Double {
        var result = values[lo]
        for index in lo..<hi where values[index] > result || result.isNaN { result = values[index] }
        return result
    }

    static func minimum(_ values: Values, _ lo: Int, _ hi: Int) -> Double {
        var result = values[lo]
        for index in lo..<hi where values[index] < result || result.isNaN { result = values[index] }
        return result
    }

    /// Population variance by Welford's method with Kahan-compensated sums.
    static func variance(_ values: Values, _ lo: Int, _ hi: Int) -> Double {
        var count = 0.0, mean = 0.0, meanCompensation = 0.0, aux = 0.0, auxCompensation = 0.0
        for index in lo..<hi {
            let value = values[index]
            count += 1
            let delta = value - (mean + meanCompensation)
            (mean, meanCompensation) = kahanSumInc(delta / count, mean, meanCompensation)
            (aux, auxCompensation) = kahanSumInc(delta * (value - (mean + meanCompensation)), aux, auxCompensation)
        }
        return (aux + auxCompensation) / count
    }

    static func changes(_ values: Values, _ lo: Int, _ hi: Int) -> Double {
        var changes = 0
        var previous = values[lo]
        for index in (lo + 1)..<Swift.max(lo + 1, hi) {
            let current = values[index]
            if current != previous && !(current.isNaN && previous.isNaN) { changes += 1 }
            previous = current
        }
        return Double(changes)
    }

    static func resets(_ values: Values, _ lo: Int, _ hi: Int) -> Double {
        var resets = 0
        var previous = values[lo]
        for index in (lo + 1)..<Swift.max(lo + 1, hi) {
            let current = values[index]
            if current < previous { resets += 1 }
            previous = current
        }
        return Double(resets)
    }

    /// Least-squares slope and intercept at `interceptTime`, Kahan-compensated; a
    /// constant series has slope 0 (NaN if the constant is infinite).
    static func linearRegression(_ times: Times, _ values: Values, _ lo: Int, _ hi: Int,
                                 interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0
        var sumX = 0.0, cX = 0.0, sumY = 0.0, cY = 0.0, sumXY = 0.0, cXY = 0.0, sumX2 = 0.0, cX2 = 0.0
        let initialY = values[lo]
        var constantY = true
        for index in lo..<hi {
            let y = values[index]
            if constantY && index > lo && y != initialY { constantY = false }
            n += 1
            let x = Double(times[index] - interceptTime) / 1e3
            (sumX, cX) = kahanSumInc(x, sumX, cX)
            (sumY, cY) = kahanSumInc(y, sumY, cY)
            (sumXY, cXY) = kahanSumInc(x * y, sumXY, cXY)
            (sumX2, cX2) = kahanSumInc(x * x, sumX2, cX2)
        }
        if constantY {
            if initialY.isInfinite { return (.nan, .nan) }
            return (0, initialY)
        }
        sumX += cX
        sumY += cY
        sumXY += cXY
        sumX2 += cX2
        let covXY = sumXY - sumX * sumY / n
        let varX = sumX2 - sumX * sumX / n
        let slope = covXY / varX
        return (slope, sumY / n - slope * sumX / n)
    }

    /// Double exponential smoothing with smoothing factor `sf` and trend factor `tf`.
    static func holtWinters(_ values: Values, _ lo: Int, _ hi: Int, sf: Double, tf: Double) -> Double? {
        guard hi - lo >= 2 else { return nil }
        var s0 = 0.0, s1 = values[lo], b = values[lo + 1] - values[lo]
        for index in (lo + 1)..<hi {
            let x = sf * values[index]
            if index - 1 > lo { b = tf * (s1 - s0) + (1 - tf) * b }
            let y = (1 - sf) * (s1 + b)
            s0 = s1
            s1 = x + y
        }
        return s1
    }
}
