import SluiceModel

/// An instant-vector expression's value at every step of a query: one column per
/// series, dense over the steps with a presence flag (a series may lack a value at some
/// steps). An instant query is the one-step case. Series appear in the order Prometheus
/// produces them at a step, which decides ties in `sort` and `topk`.
struct StepSeries {
    var labels: Labels
    var values: [Double]
    var present: [Bool]

    init(labels: Labels, stepCount: Int) {
        self.labels = labels
        values = [Double](repeating: 0, count: stepCount)
        present = [Bool](repeating: false, count: stepCount)
    }

    var hasPoints: Bool { present.contains(true) }
}

/// What an expression evaluates to over the steps.
enum StepValue {
    case scalar([Double])
    case string(String)
    case vector([StepSeries])
    /// A range selector's raw samples, only at the top of an instant query.
    case matrix([PromQLSeries])
}

/// Collects output series by label set across steps: the same labels are one series;
/// two values for the same labels at one step are Prometheus's "vector cannot contain
/// metrics with the same labelset".
struct StepMatrixBuilder {
    let stepCount: Int
    private(set) var series: [StepSeries] = []
    private var slotByLabels: [Labels: Int] = [:]

    init(stepCount: Int) {
        self.stepCount = stepCount
    }

    mutating func slot(for labels: Labels) -> Int {
        if let slot = slotByLabels[labels] { return slot }
        let slot = series.count
        series.append(StepSeries(labels: labels, stepCount: stepCount))
        slotByLabels[labels] = slot
        return slot
    }

    func isSet(_ slot: Int, step: Int) -> Bool { series[slot].present[step] }

    mutating func set(_ slot: Int, step: Int, value: Double) throws(PromQLError) {
        if series[slot].present[step] { throw PromQLEvaluator.sameLabelSetError }
        series[slot].present[step] = true
        series[slot].values[step] = value
    }

    /// The series that have at least one value, in creation order.
    func finish() -> [StepSeries] { series.filter(\.hasPoints) }
}

extension Labels {
    /// Without `__name__`, as most functions and arithmetic return their results.
    func droppingMetricName() -> Labels {
        guard self["__name__"] != nil else { return self }
        var copy = self
        copy["__name__"] = nil
        return copy
    }

    /// Only the named labels (`on(...)`, `by(...)`).
    func keeping(_ names: [String]) -> Labels {
        Labels(unsortedPairs: pairs.filter { names.contains($0.name) })
    }

    /// All but the named labels.
    func removing(_ names: [String]) -> Labels {
        Labels(unsortedPairs: pairs.filter { !names.contains($0.name) })
    }

    /// Prometheus's `labels.Compare`: pairwise by name then value (bytewise), then length.
    static func promQLOrder(_ lhs: Labels, _ rhs: Labels) -> Bool {
        let a = lhs.pairs, b = rhs.pairs
        for index in 0..<Swift.min(a.count, b.count) {
            if a[index].name != b[index].name { return a[index].name.utf8.lexicographicallyPrecedes(b[index].name.utf8) }
            if a[index].value != b[index].value { return a[index].value.utf8.lexicographicallyPrecedes(b[index].value.utf8) }
        }
        return a.count < b.count
    }

    /// Prometheus's `labels.String()`: `{a="1", b="2"}`.
    var promQLDescription: String {
        "{" + pairs.map { $0.name + "=" + GoQuote.string($0.value) }.joined(separator: ", ") + "}"
    }
}
