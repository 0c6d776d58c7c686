import Dispatch
import Glibc
import SluiceModel

extension PromQLEvaluator {
    /// A function over a range selector: for each series, a window `[t - range, t]`
    /// (minus the offset) slides over the steps on two cursors, so every sample is passed
    /// once per step it falls in and never searched for.
    func rangeFunction(_ call: PromQLCall, matrixIndex: Int) throws(PromQLError) -> [StepSeries] {
        guard case .matrixSelector(let matrix) = call.arguments[matrixIndex].unwrapped else {
            throw PromQLError.execution("ranges only allowed for vector selectors")
        }
        let name = call.function.name
        guard let kind = RangeFunction(rawValue: name) else {
            throw PromQLError.execution("function \(GoQuote.string(name)) is not supported")
        }
        var scalarArguments: [[Double]] = []
        for (index, argument) in call.arguments.enumerated() where index != matrixIndex {
            scalarArguments.append(try scalar(argument))
        }
        let range = matrix.range
        let offset = matrix.selector.offset
        let windows = try windows(matrix)
        try requireSampleBudget(seriesCount: windows.count)
        // Series are independent: large calls run on every core, a run of series each.
        var columns = [(column: StepSeries, found: Bool, failure: String?)?](repeating: nil, count: windows.count)
        let workers = windows.count >= 64 && windows.count * stepCount >= 50_000 ? Self.workers : 1
        let (arguments, start, interval, stepCount) = (scalarArguments, self.start, self.interval, self.stepCount)
        columns.withUnsafeMutableBufferPointer { buffer in
            let slots = EvaluatorSlots(buffer)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in (windows.count * worker / workers)..<(windows.count * (worker + 1) / workers) {
                    slots.buffer[index] = Self.column(for: windows[index], kind: kind, name: name, range: range, offset: offset,
                                                      scalarArguments: arguments, start: start, interval: interval,
                                                      stepCount: stepCount)
                }
            }
        }
        var output: [StepSeries] = []
        for case let (column, found, failure)? in columns {
            if let failure { throw PromQLError.execution(failure) }
            if found { output.append(column) }
        }
        if name == "absent_over_time" { return absentOverTime(output, argument: call.arguments[matrixIndex]) }
        try requireDistinctLabelSets(output)
        return output
    }

    /// One series' values of a range function at every step.
    /// Static so that workers share nothing mutable: the steps are `start + k × interval`.
    private static func column(for window: (labels: Labels, times: [Int64], values: [Double]), kind: RangeFunction, name: String,
                               range: Int64, offset: Int64, scalarArguments: [[Double]],
                               start: Int64, interval: Int64, stepCount: Int) -> (column: StepSeries, found: Bool, failure: String?) {
        var failure: String?
        let labels = name == "last_over_time" ? window.labels : window.labels.droppingMetricName()
        var column = StepSeries(labels: labels, stepCount: stepCount)
        var found = false
        window.times.withUnsafeBufferPointer { times in
            window.values.withUnsafeBufferPointer { values in
                var lo = 0, hi = 0
                for step in 0..<stepCount {
                    let stepTime = start + Int64(step) * interval
                    let maxTime = stepTime - offset
                    let minTime = maxTime - range
                    while hi < times.count && times[hi] <= maxTime { hi += 1 }
                    while lo < hi && times[lo] < minTime { lo += 1 }
                    guard lo < hi else { continue }
                    let result: Double?
                    switch kind {
                    case .rate, .increase, .delta:
                        result = PromQLRangeFunctions.extrapolatedRate(
                            times, values, lo, hi, rangeStart: stepTime - (range + offset), rangeEnd: maxTime, range: range,
                            isCounter: kind != .delta, isRate: kind == .rate)
                    case .irate: result = PromQLRangeFunctions.instantValue(times, values, lo, hi, isRate: true)
                    case .idelta: result = PromQLRangeFunctions.instantValue(times, values, lo, hi, isRate: false)
                    case .average: result = PromQLRangeFunctions.average(values, lo, hi)
                    case .sum: result = PromQLRangeFunctions.sum(values, lo, hi)
                    case .count: result = Double(hi - lo)
                    case .minimum: result = PromQLRangeFunctions.minimum(values, lo, hi)
                    case .maximum: result = PromQLRangeFunctions.maximum(values, lo, hi)
                    case .last: result = values[hi - 1]
                    case .present, .absent: result = 1
                    case .standardDeviation: result = PromQLRangeFunctions.variance(values, lo, hi).squareRoot()
                    case .variance: result = PromQLRangeFunctions.variance(values, lo, hi)
                    case .quantile: result = Self.quantile(scalarArguments[0][step], Array(values[lo..<hi]))
                    case .changes: result = PromQLRangeFunctions.changes(values, lo, hi)
                    case .resets: result = PromQLRangeFunctions.resets(values, lo, hi)
                    case .derivative:
                        result = hi - lo < 2 ? nil
                            : PromQLRangeFunctions.linearRegression(times, values, lo, hi, interceptTime: times[lo]).slope
                    case .predictLinear:
                        if hi - lo < 2 {
                            result = nil
                        } else {
                            let (slope, intercept) = PromQLRangeFunctions.linearRegression(
                                times, values, lo, hi, interceptTime: stepTime)
                            result = slope * scalarArguments[0][step] + intercept
                        }
                    case .holtWinters:
                        // Prometheus checks the factors whenever the function runs, with Go's %f.
                        let sf = scalarArguments[0][step], tf = scalarArguments[1][step]
                        if !(sf > 0 && sf < 1) {
                            failure = failure ?? "invalid smoothing factor. Expected: 0 < sf < 1, got: \(Self.goFixed6(sf))"
                            result = nil
                        } else if !(tf > 0 && tf < 1) {
                            failure = failure ?? "invalid trend factor. Expected: 0 < tf < 1, got: \(Self.goFixed6(tf))"
                            result = nil
                        } else {
                            result = PromQLRangeFunctions.holtWinters(values, lo, hi, sf: sf, tf: tf)
                        }
                    }
                    if let result {
                        column.present[step] = true
                        column.values[step] = result
                        found = true
                    }
                }
            }
        }
        return (column, found, failure)
    }

    /// The range functions, resolved once per call rather than compared by name per step.
    enum RangeFunction: String {
        case rate, increase, delta, irate, idelta, changes, resets
        case average = "avg_over_time", sum = "sum_over_time", count = "count_over_time"
        case minimum = "min_over_time", maximum = "max_over_time", last = "last_over_time"
        case present = "present_over_time", absent = "absent_over_time"
        case standardDeviation = "stddev_over_time", variance = "stdvar_over_time", quantile = "quantile_over_time"
        case derivative = "deriv", predictLinear = "predict_linear", holtWinters = "holt_winters"
    }

    /// 1 at the steps where no series had a sample in its window.
    private func absentOverTime(_ present: [StepSeries], argument: PromQLExpression) -> [StepSeries] {
        var result = StepSeries(labels: Self.absentLabels(argument), stepCount: stepCount)
        for step in 0..<stepCount where !present.contains(where: { $0.present[step] }) {
            result.present[step] = true
            result.values[step] = 1
        }
        return result.hasPoints ? [result] : []
    }

    /// Go's `%f`: six decimals.
    static func goFixed6(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        let scaled = (value.magnitude * 1_000_000).rounded(.toNearestOrEven)
        let whole = Int64(scaled / 1_000_000)
        let fraction = Int64(scaled) - whole * 1_000_000
        let digits = String(fraction)
        return (value < 0 ? "-" : "") + String(whole) + "." + String(repeating: "0", count: 6 - digits.count) + digits
    }

    // MARK: histogram_quantile

    /// Classic histograms: series with an `le` label grouped by their other labels
    /// (metric name included), the quantile interpolated within the bucket it falls in.
    func histogramQuantile(_ q: [Double], _ input: [StepSeries]) throws(PromQLError) -> [StepSeries] {
        var groupIndex: [Labels: Int] = [:]
        var groupOutputLabels: [Labels] = []
        var bucketOf: [(group: Int, upperBound: Double)?] = []
        for series in input {
            guard let le = series.labels["le"], let upperBound = Self.goParseFloat(le) else {
                bucketOf.append(nil)
                continue
            }
            let key = series.labels.removing(["le"])
            let group: Int
            if let known = groupIndex[key] {
                group = known
            } else {
                group = groupOutputLabels.count
                groupIndex[key] = group
                groupOutputLabels.append(series.labels.removing(["__name__", "le"]))
            }
            bucketOf.append((group, upperBound))
        }
        var builder = StepMatrixBuilder(stepCount: stepCount)
        var buckets = [[(upperBound: Double, count: Double)]](repeating: [], count: groupOutputLabels.count)
        var order: [Int] = []
        var slots = [Int?](repeating: nil, count: groupOutputLabels.count)
        for step in 0..<stepCount {
            order.removeAll(keepingCapacity: true)
            for (index, series) in input.enumerated() where series.present[step] {
                guard let (group, upperBound) = bucketOf[index] else { continue }
                if buckets[group].isEmpty { order.append(group) }
                buckets[group].append((upperBound, series.values[step]))
            }
            for group in order {
                let value = Self.bucketQuantile(q[step], buckets[group])
                buckets[group].removeAll(keepingCapacity: true)
                let slot = slots[group] ?? builder.slot(for: groupOutputLabels[group])
                slots[group] = slot
                try builder.set(slot, step: step, value: value)
            }
        }
        return builder.finish()
    }

    /// Go's `strconv.ParseFloat` for bucket bounds (`+Inf`, `1e3`, `0.5`).
    static func goParseFloat(_ text: String) -> Double? {
        switch text.lowercased() {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default:
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
            return Double(text)
        }
    }

    static func bucketQuantile(_ q: Double, _ input: [(upperBound: Double, count: Double)]) -> Double {
        if q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var buckets = input
        GoSort.sort(&buckets) { $0.upperBound < $1.upperBound }
        guard let last = buckets.last, last.upperBound == .infinity else { return .nan }
        // Coalesce equal bounds, then force the counts to be monotonic.
        var coalesced: [(upperBound: Double, count: Double)] = []
        for bucket in buckets {
            if let previous = coalesced.last, previous.upperBound == bucket.upperBound {
                coalesced[coalesced.count - 1].count += bucket.count
            } else {
                coalesced.append(bucket)
            }
        }
        var maximum = coalesced[0].count
        for index in 1..<coalesced.count {
            if coalesced[index].count > maximum {
                maximum = coalesced[index].count
            } else if coalesced[index].count < maximum {
                coalesced[index].count = maximum
            }
        }
        if coalesced.count < 2 { return .nan }
        let observations = coalesced[coalesced.count - 1].count
        if observations == 0 { return .nan }
        var rank = q * observations
        // sort.Search over all but the +Inf bucket: the first with count >= rank.
        var lo = 0, hi = coalesced.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if coalesced[mid].count >= rank { hi = mid } else { lo = mid + 1 }
        }
        let b = lo
        if b == coalesced.count - 1 { return coalesced[coalesced.count - 2].upperBound }
        if b == 0 && coalesced[0].upperBound <= 0 { return coalesced[0].upperBound }
        var bucketStart = 0.0
        let bucketEnd = coalesced[b].upperBound
        var count = coalesced[b].count
        if b > 0 {
            bucketStart = coalesced[b - 1].upperBound
            count -= coalesced[b - 1].count
            rank -= coalesced[b - 1].count
        }
        return bucketStart + (bucketEnd - bucketStart) * (rank / count)
    }

    // MARK: Date functions

    func dateFunction(_ call: PromQLCall) throws(PromQLError) -> [StepSeries] {
        let name = call.function.name
        if call.arguments.isEmpty {
            var series = StepSeries(labels: Labels(), stepCount: stepCount)
            for step in 0..<stepCount {
                series.present[step] = true
                series.values[step] = Self.datePart(name, seconds: time(ofStep: step) / 1000)
            }
            return [series]
        }
        let input = try vector(call.arguments[0])
        var output = input
        for index in output.indices {
            output[index].labels = output[index].labels.droppingMetricName()
            for step in 0..<stepCount where output[index].present[step] {
                let value = output[index].values[step]
                // Go's int64(NaN or ±Inf) on amd64 is the minimum int64.
                let seconds = value.isFinite && value.magnitude < 0x1p63 ? Int64(value) : Int64.min
                output[index].values[step] = Self.datePart(name, seconds: seconds)
            }
        }
        try requireDistinctLabelSetsPerStep(output)
        return output
    }

    /// Calendar fields in UTC of unix seconds (proleptic Gregorian, as Go's time package).
    static func datePart(_ name: String, seconds: Int64) -> Double {
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let day = secondOfDay < 0 ? days - 1 : days
        let second = secondOfDay < 0 ? secondOfDay + 86_400 : secondOfDay
        // Howard Hinnant's civil_from_days.
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYearFromMarch = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYearFromMarch + 2) / 153
        let dayOfMonth = dayOfYearFromMarch - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let isLeap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let daysBeforeMonth: [Int64] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        switch name {
        case "year": return Double(year)
        case "month": return Double(month)
        case "day_of_month": return Double(dayOfMonth)
        case "day_of_year":
            return Double(daysBeforeMonth[Int(month - 1)] + dayOfMonth + (isLeap && month > 2 ? 1 : 0))
        case "day_of_week":
            let weekday = (day + 4) % 7  // 1970-01-01 was a Thursday
            return Double(weekday < 0 ? weekday + 7 : weekday)
        case "days_in_month":
            let lengths: [Int64] = [31, isLeap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            return Double(lengths[Int(month - 1)])
        case "hour": return Double(second / 3600)
        case "minute": return Double(second % 3600 / 60)
        default: return .nan
        }
    }
}
