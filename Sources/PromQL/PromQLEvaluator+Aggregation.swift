import Glibc
import SluiceModel

/// Aggregation operators, step by step as Prometheus's `aggregation()`: groups keyed by
/// the `by`/`without` labels (computed once per series), each group started by its first
/// sample, `avg` by the same incremental mean, `stddev` by Welford's method, `topk` with
/// Go's heap so ties fall the same way, `quantile` interpolated.
extension PromQLEvaluator {
    func aggregate(_ aggregate: PromQLAggregateExpression) throws(PromQLError) -> [StepSeries] {
        let op = aggregate.op
        let grouping = aggregate.grouping.sorted()
        var parameter: [Double] = []
        var valueLabel = ""
        if let parameterExpression = aggregate.parameter {
            if op == .countValues {
                guard case .string(let label) = try evaluate(parameterExpression) else {
                    throw PromQLError.execution("expected a string parameter")
                }
                valueLabel = label
            } else {
                parameter = try scalar(parameterExpression)
            }
        }
        let input = try vector(aggregate.expression)
        switch op {
        case .countValues:
            return try countValues(input, grouping: grouping, without: aggregate.without, label: valueLabel)
        case .topk, .bottomk:
            return try selectK(input, grouping: grouping, without: aggregate.without, k: parameter, top: op == .topk)
        default:
            return try accumulate(op, input, grouping: grouping, without: aggregate.without, parameter: parameter)
        }
    }

    /// The labels of a sample's group.
    static func groupLabels(_ labels: Labels, grouping: [String], without: Bool) -> Labels {
        if without { return labels.removing(grouping + ["__name__"]) }
        if grouping.isEmpty { return Labels() }
        return labels.keeping(grouping)
    }

    /// Group index of every input series, and the groups' labels in first-seen order.
    private func groups(_ input: [StepSeries], grouping: [String], without: Bool) -> (ofSeries: [Int], labels: [Labels]) {
        var indexByLabels: [Labels: Int] = [:]
        var labels: [Labels] = []
        let ofSeries = input.map { series -> Int in
            let group = Self.groupLabels(series.labels, grouping: grouping, without: without)
            if let index = indexByLabels[group] { return index }
            indexByLabels[group] = labels.count
            labels.append(group)
            return labels.count - 1
        }
        return (ofSeries, labels)
    }

    private func accumulate(_ op: PromQLAggregateOperator, _ input: [StepSeries], grouping: [String], without: Bool,
                            parameter: [Double]) throws(PromQLError) -> [StepSeries] {
        if op == .quantile { return quantileAggregate(input, grouping: grouping, without: without, parameter: parameter) }
        let (groupOfSeries, groupLabels) = groups(input, grouping: grouping, without: without)
        let stepCount = self.stepCount
        // One row of steps per group. Series are folded in one after another, so each
        // group sees its samples of a step in input order, as Prometheus adds them.
        let cells = groupLabels.count * stepCount
        var value = [Double](repeating: 0, count: cells)
        var mean = [Double](repeating: 0, count: cells)
        var count = [Int](repeating: 0, count: cells)
        var firstSeriesOfGroup = [Int](repeating: -1, count: groupLabels.count)
        for index in input.indices {
            let group = groupOfSeries[index]
            if firstSeriesOfGroup[group] < 0 && input[index].hasPoints { firstSeriesOfGroup[group] = index }
            let row = group * stepCount
            input[index].present.withUnsafeBufferPointer { present in
                input[index].values.withUnsafeBufferPointer { samples in
                    for step in 0..<stepCount where present[step] {
                        let sample = samples[step]
                        let cell = row + step
                        if count[cell] == 0 {
                            count[cell] = 1
                            mean[cell] = sample
                            switch op {
                            case .stddev, .stdvar: value[cell] = 0
                            case .group: value[cell] = 1
                            default: value[cell] = sample
                            }
                            continue
                        }
                        switch op {
                        case .sum:
                            value[cell] += sample
                        case .avg:
                            count[cell] += 1
                            let current = mean[cell]
                            if current.isInfinite {
                                if sample.isInfinite && (current > 0) == (sample > 0) { break }
                                if !sample.isInfinite && !sample.isNaN { break }
                            }
                            // Dividing each term by the count keeps large values from overflowing.
                            let n = Double(count[cell])
                            mean[cell] = current + (sample / n - current / n)
                        case .max:
                            if value[cell] < sample || value[cell].isNaN { value[cell] = sample }
                        case .min:
                            if value[cell] > sample || value[cell].isNaN { value[cell] = sample }
                        case .stddev, .stdvar:
                            count[cell] += 1
                            let delta = sample - mean[cell]
                            mean[cell] += delta / Double(count[cell])
                            value[cell] += delta * (sample - mean[cell])
                        default:
                            count[cell] += 1
                        }
                    }
                }
            }
        }
        var output: [StepSeries] = []
        // Groups in the order their first sample arrived (Prometheus's order at a step).
        for group in groupLabels.indices.sorted(by: { firstSeriesOfGroup[$0] < firstSeriesOfGroup[$1] }) {
            var series = StepSeries(labels: groupLabels[group], stepCount: stepCount)
            let row = group * stepCount
            for step in 0..<stepCount where count[row + step] > 0 {
                let cell = row + step
                series.present[step] = true
                switch op {
                case .avg: series.values[step] = mean[cell]
                case .count: series.values[step] = Double(count[cell])
                case .stdvar: series.values[step] = value[cell] / Double(count[cell])
                case .stddev: series.values[step] = (value[cell] / Double(count[cell])).squareRoot()
                default: series.values[step] = value[cell]
                }
            }
            if series.hasPoints { output.append(series) }
        }
        return output
    }

    private func quantileAggregate(_ input: [StepSeries], grouping: [String], without: Bool,
                                   parameter: [Double]) -> [StepSeries] {
        let (groupOfSeries, groupLabels) = groups(input, grouping: grouping, without: without)
        var output = groupLabels.map { StepSeries(labels: $0, stepCount: stepCount) }
        var valuesOfGroup = [[Double]](repeating: [], count: groupLabels.count)
        var order: [Int] = []
        for step in 0..<stepCount {
            order.removeAll(keepingCapacity: true)
            for index in input.indices where input[index].present[step] {
                let group = groupOfSeries[index]
                if valuesOfGroup[group].isEmpty { order.append(group) }
                valuesOfGroup[group].append(input[index].values[step])
            }
            for group in order {
                output[group].present[step] = true
                output[group].values[step] = Self.quantile(parameter[step], valuesOfGroup[group])
                valuesOfGroup[group].removeAll(keepingCapacity: true)
            }
        }
        if stepCount == 1 { return order.map { output[$0] } }
        return output.filter(\.hasPoints)
    }

    /// Prometheus's `quantile`: sorted values (NaN first), linear interpolation between
    /// the two nearest ranks; below 0 is -Inf, above 1 is +Inf.
    static func quantile(_ q: Double, _ input: [Double]) -> Double {
        if input.isEmpty || q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        var values = input
        GoSort.sort(&values) { $0.isNaN || $0 < $1 }
        let n = Double(values.count)
        let rank = q * (n - 1)
        let lowerIndex = Swift.max(0, rank.rounded(.down))
        let upperIndex = Swift.min(n - 1, lowerIndex + 1)
        let weight = rank - rank.rounded(.down)
        return values[Int(lowerIndex)] * (1 - weight) + values[Int(upperIndex)] * weight
    }

    private struct Candidate {
        var value: Double
        var series: Int
    }

    private func selectK(_ input: [StepSeries], grouping: [String], without: Bool, k parameter: [Double],
                         top: Bool) throws(PromQLError) -> [StepSeries] {
        let (groupOfSeries, groupLabels) = groups(input, grouping: grouping, without: without)
        // topk's heap keeps the smallest on top, bottomk's the largest; NaN is always "less".
        let heapLess: (Candidate, Candidate) -> Bool = top
            ? { $0.value.isNaN || $0.value < $1.value }
            : { $0.value.isNaN || $0.value > $1.value }
        var heaps = [GoHeap<Candidate>](repeating: GoHeap(elements: [], isLess: heapLess), count: groupLabels.count)
        var startedAt = [Int](repeating: -1, count: groupLabels.count)
        var builder = StepMatrixBuilder(stepCount: stepCount)
        var slots = [Int?](repeating: nil, count: input.count)
        var order: [Int] = []
        for step in 0..<stepCount {
            let requested = parameter[step]
            // Go's float64(math.MaxInt64) is 2^63, so 2^63 passes the check and converts
            // (on amd64) to the minimum int64, which selects nothing.
            guard !requested.isNaN, requested <= 0x1p63, requested >= -0x1p63 else {
                throw PromQLError.execution("Scalar value \(GoFloatFormat.general(requested)) overflows int64")
            }
            let k = requested == 0x1p63 ? Int64.min : Int64(requested)
            if k < 1 { continue }
            order.removeAll(keepingCapacity: true)
            for index in input.indices where input[index].present[step] {
                let candidate = Candidate(value: input[index].values[step], series: index)
                let group = groupOfSeries[index]
                if startedAt[group] != step {
                    startedAt[group] = step
                    order.append(group)
                    heaps[group].elements.removeAll(keepingCapacity: true)
                    heaps[group].elements.append(candidate)
                    continue
                }
                let root = heaps[group].elements[0].value
                let isBetter = top ? root < candidate.value : root > candidate.value
                guard Int64(heaps[group].elements.count) < k || isBetter || root.isNaN else { continue }
                if Int64(heaps[group].elements.count) == k {
                    if k == 1 {
                        heaps[group].elements[0] = candidate
                        continue
                    }
                    heaps[group].pop()
                }
                heaps[group].push(candidate)
            }
            for group in order {
                var selected = heaps[group].elements
                if selected.count > 1 {
                    // sort.Sort(sort.Reverse(heap)): the heap's Less with arguments swapped.
                    GoSort.sort(&selected) { heapLess($1, $0) }
                }
                for candidate in selected {
                    let slot = slots[candidate.series] ?? builder.slot(for: input[candidate.series].labels)
                    slots[candidate.series] = slot
                    try builder.set(slot, step: step, value: candidate.value)
                }
            }
        }
        return builder.finish()
    }

    private func countValues(_ input: [StepSeries], grouping: [String], without: Bool,
                             label: String) throws(PromQLError) -> [StepSeries] {
        guard PromQLLexer.isLabelName(label) else {
            throw PromQLError.execution("invalid label name \(GoQuote.string(label))")
        }
        let effectiveGrouping = without ? grouping : (grouping + [label]).sorted()
        var builder = StepMatrixBuilder(stepCount: stepCount)
        var counts: [Int: Int] = [:]
        var order: [Int] = []
        for step in 0..<stepCount {
            counts.removeAll(keepingCapacity: true)
            order.removeAll(keepingCapacity: true)
            for series in input where series.present[step] {
                var labels = series.labels
                labels[label] = GoFloatFormat.plain(series.values[step])
                let slot = builder.slot(for: Self.groupLabels(labels, grouping: effectiveGrouping, without: without))
                if let current = counts[slot] {
                    counts[slot] = current + 1
                } else {
                    counts[slot] = 1
                    order.append(slot)
                }
            }
            for slot in order { try builder.set(slot, step: step, value: Double(counts[slot] ?? 0)) }
        }
        return builder.finish()
    }
}
