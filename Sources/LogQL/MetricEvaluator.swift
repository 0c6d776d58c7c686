import SluiceModel

/// The evaluation times of a metric query: `first + i * step` for `i < count`.
struct StepGrid {
    let first: Int64
    let step: Int64
    let count: Int

    var last: Int64 { first + step * Int64(count - 1) }
    func time(_ index: Int) -> Int64 { first + step * Int64(index) }
}

/// The steps `from ..< to` whose windows `(t - range, t]` hold an entry `offset` after the
/// first step (none when `from >= to`): `from = ceil(offset / step)` (0 from offset 0
/// down), `to = min(ceil((offset + range) / step), count)`. It remembers the offsets that
/// share the last answer: a block's entries come mostly in time order, so most of them
/// skip the two divisions.
struct StepWindows {
    let step: Int64
    let range: Int64
    let count: Int
    /// The last answer holds for `low < offset <= high`.
    private var low = Int64.max
    private var high = Int64.min
    private var from = 0
    private var to = 0

    init(step: Int64, range: Int64, count: Int) {
        self.step = step
        self.range = range
        self.count = count
    }

    /// - Parameter offset: an entry's time minus the first step's, in the scan's range
    ///   (`-range < offset <= last - first`).
    @inline(__always)
    mutating func steps(_ offset: Int64) -> (from: Int, to: Int) {
        if offset > low && offset <= high { return (from, to) }
        compute(offset)
        return (from, to)
    }

    private mutating func compute(_ offset: Int64) {
        let fromLow: Int64, fromHigh: Int64
        if offset <= 0 {
            (from, fromLow, fromHigh) = (0, .min, 0)
        } else {
            let steps = (offset - 1) / step + 1
            (from, fromLow, fromHigh) = (Int(steps), (steps - 1) * step, steps * step)
        }
        let reach = offset + range  // > 0: the entry is after first - range
        let steps = (reach - 1) / step + 1
        let toLow: Int64, toHigh: Int64
        if steps >= Int64(count) {
            (to, toLow, toHigh) = (count, Int64(count - 1) * step - range, .max)
        } else {
            (to, toLow, toHigh) = (Int(steps), (steps - 1) * step - range, steps * step - range)
        }
        low = max(fromLow, toLow)
        high = min(fromHigh, toHigh)
    }
}

/// One series while evaluating: a value or nothing at each step.
struct MetricSeries {
    var labels: Labels
    var sortKey: String
    var values: [Double?]

    init(labels: Labels, values: [Double?]) {
        self.labels = labels
        sortKey = labels.sortKey
        self.values = values
    }
}

/// Evaluates metric queries on a step grid with ONE forward scan per range aggregation.
///
/// Each entry lands in the windows `(t - range, t]` of the steps `j ..< k` with
/// `t_j >= ts` and `t_k >= ts + range`; a difference array per series (+1 at `j`, -1 at
/// `k`) turns that into per-step counts and byte sums by one running sum, whatever the
/// ratio of range to step.
struct MetricEvaluator {
    let source: any LogEntrySource
    let limits: LogQLLimits
    let grid: StepGrid

    func evaluate(_ query: LogQLMetricQuery, isCancelled: () -> Bool) throws -> [MetricSeries] {
        switch query {
        case .range(let aggregation):
            return try evaluateRange(aggregation, projection: nil, isCancelled: isCancelled)
        case .vector(let aggregation):
            let inner: [MetricSeries]
            if aggregation.operation == .sum, case .range(let range) = aggregation.inner {
                // Loki injects a sum's grouping into the range aggregation it sums
                // (VectorAggregationExpr.Extractor, canInjectVectorGrouping): entries are
                // grouped before counting, and inner labels never hold `__error__` unless kept.
                inner = try evaluateRange(range, projection: aggregation.grouping ?? .by([]), isCancelled: isCancelled)
            } else {
                inner = try evaluate(aggregation.inner, isCancelled: isCancelled)
            }
            return aggregate(aggregation, inner)
        }
    }

    // MARK: Range aggregations

    /// - Parameter projection: the labels series keep (nil: all of them).
    func evaluateRange(_ aggregation: LogQLRangeAggregation, projection: LogQLGrouping?,
                       isCancelled: () -> Bool) throws -> [MetricSeries] {
        let pipeline = LogPipeline(aggregation.query.stages)
        let range = aggregation.rangeNanoseconds
        let stepCount = grid.count
        let width = stepCount + 1
        let scanStart = Self.saturatingAdd(Self.saturatingAdd(grid.first, -range), 1)
        let scanEnd = Self.saturatingAdd(grid.last, 1)

        // Storage hands only the metadata that can matter: names the grouping keeps and the
        // filters read (and the originals of `_extracted` names). Parsers decide `_extracted`
        // clashes from every label, so they need it all.
        var metadataNames: Set<String>?
        if !pipeline.hasParser, case .by(let names)? = projection {
            var wanted = Set(names).union(pipeline.readNames)
            for name in wanted where name.hasSuffix("_extracted") { wanted.insert(String(name.dropLast(10))) }
            wanted.remove("__error__")
            metadataNames = wanted
        }
        let scan = LogScan(matchers: aggregation.query.matchers, start: Timestamp(nanosecondsSinceEpoch: scanStart),
                           end: Timestamp(nanosecondsSinceEpoch: scanEnd), direction: .forward,
                           requiredSubstrings: pipeline.requiredSubstrings, needsLines: pipeline.needsLine,
                           metadataNames: metadataNames)
        let needsBytes = aggregation.operation == .bytesOverTime || aggregation.operation == .bytesRate
        var seriesLabels: [Labels] = []
        var seriesIndex: [Labels: Int] = [:]
        var counts: [Int64] = []
        var bytes: [Int64] = []
        // Per stream id: the series its entries go to (-1: filtered out), when labels
        // cannot vary within the stream (no parser, no line_format, no relevant metadata).
        var streamSeries: [Int] = []
        var streamSeriesOverflow: [Int: Int] = [:]
        let settlesPerStream = !pipeline.hasParser && !pipeline.hasLineFormat
        let limits = self.limits

        func series(for labels: Labels) throws -> Int {
            if let index = seriesIndex[labels] { return index }
            let index = seriesLabels.count
            guard (index + 1) * width <= limits.maxIntermediateCells else {
                throw LogQLLimitError(.series, "maximum of series reached for a single query: \(index + 1) series over \(stepCount) steps exceed \(limits.maxIntermediateCells) points; group by fewer labels or use a larger step")
            }
            seriesLabels.append(labels)
            seriesIndex[labels] = index
            counts.append(contentsOf: repeatElement(0, count: width))
            if needsBytes { bytes.append(contentsOf: repeatElement(0, count: width)) }
            return index
        }

        func key(_ entry: PipelineEntry) -> Labels {
            switch projection {
            case nil:
                return entry.labels
            case .by(let names)?:
                var dictionary: [String: String] = [:]
                for name in names {
                    if let value = entry.value(name), !value.isEmpty { dictionary[name] = value }
                }
                return Labels(dictionary)
            case .without(let names)?:
                var labels = entry.labels
                for name in names { labels[name] = nil }
                return labels
            }
        }

        var seen = 0
        let first = grid.first
        let step = grid.step

        /// The series of the entries of stream `id` whose labels settle per stream (-1:
        /// filtered out), computed once per stream.
        func streamSeriesIndex(_ id: Int, _ stream: Labels, _ timestamp: Timestamp) throws -> Int {
            let cached: Int? = (id >= 0 && id < streamSeries.count) ? streamSeries[id] : streamSeriesOverflow[id]
            if let cached, cached != Int.min { return cached }
            var streamOnly = PipelineEntry(stream: stream, metadata: Labels(), line: [], timestamp: timestamp)
            let index = pipeline.passesLabelFilters(&streamOnly) ? try series(for: key(streamOnly)) : -1
            if id >= 0, id < 1 << 20 {
                if id >= streamSeries.count { streamSeries.append(contentsOf: repeatElement(Int.min, count: id + 1 - streamSeries.count)) }
                streamSeries[id] = index
            } else {
                streamSeriesOverflow[id] = index
            }
            return index
        }

        func isIrrelevant(_ metadata: Labels) -> Bool {
            metadata.isEmpty || (metadataNames.map { names in !metadata.contains { names.contains($0.name) } } ?? false)
        }

        if !pipeline.needsLine {
            // Label filters at most: an entry's series follows from its stream (or from its
            // metadata where that holds a name that matters), so storage hands timestamps
            // (and line lengths) per stream instead of entries, in any order: counts add up.
            var nextCheck = 4096
            var windows = StepWindows(step: step, range: range, count: stepCount)
            try source.scanColumns(scan, lineLengths: needsBytes) { columns in
                seen += columns.timestamps.count
                if seen >= nextCheck {
                    if isCancelled() { throw LogQLCancelled() }
                    nextCheck = seen + 4096
                }
                let times = columns.timestamps
                precondition(!needsBytes || columns.lineLengths.count == times.count, "scanColumns: a line length per timestamp")
                guard columns.metadata.isEmpty else {
                    // Entries with metadata that matters go through the label filters one by one.
                    var streamIndex: Int?
                    for position in times.indices {
                        let timestamp = times[position]
                        guard timestamp >= scanStart, timestamp < scanEnd else { continue }
                        let (from, to) = windows.steps(timestamp - first)
                        guard from < to else { continue }
                        let index: Int
                        if isIrrelevant(columns.metadata[position]) {
                            if streamIndex == nil {
                                streamIndex = try streamSeriesIndex(columns.streamID, columns.stream,
                                                                    Timestamp(nanosecondsSinceEpoch: timestamp))
                            }
                            index = streamIndex!
                            guard index >= 0 else { continue }
                        } else {
                            var working = PipelineEntry(stream: columns.stream, metadata: columns.metadata[position], line: [],
                                                        timestamp: Timestamp(nanosecondsSinceEpoch: timestamp))
                            guard pipeline.run(&working) else { continue }
                            index = try series(for: key(working))
                        }
                        let base = index * width
                        counts[base + from] += 1
                        counts[base + to] -= 1
                        if needsBytes {
                            let length = Int64(columns.lineLengths[position])
                            bytes[base + from] += length
                            bytes[base + to] -= length
                        }
                    }
                    return true
                }
                // Every entry goes to the stream's series, made (as on the per-entry path)
                // only once an entry lands in a window.
                var landing = 0
                while landing < times.count {
                    let timestamp = times[landing]
                    if timestamp >= scanStart, timestamp < scanEnd {
                        let (from, to) = windows.steps(timestamp - first)
                        if from < to { break }
                    }
                    landing += 1
                }
                guard landing < times.count else { return true }
                let index = try streamSeriesIndex(columns.streamID, columns.stream, Timestamp(nanosecondsSinceEpoch: times[landing]))
                guard index >= 0 else { return true }
                let base = index * width
                let lengths = columns.lineLengths
                counts.withUnsafeMutableBufferPointer { counts in
                    bytes.withUnsafeMutableBufferPointer { bytes in
                        times.withUnsafeBufferPointer { times in
                            lengths.withUnsafeBufferPointer { lengths in
                                for position in landing..<times.count {
                                    let timestamp = times[position]
                                    guard timestamp >= scanStart, timestamp < scanEnd else { continue }
                                    let (from, to) = windows.steps(timestamp - first)
                                    guard from < to else { continue }
                                    counts[base + from] += 1
                                    counts[base + to] -= 1
                                    if needsBytes {
                                        let length = Int64(lengths[position])
                                        bytes[base + from] += length
                                        bytes[base + to] -= length
                                    }
                                }
                            }
                        }
                    }
                }
                return true
            }
        } else {
            try source.scan(scan) { scanned in
                seen += 1
                if seen & 4095 == 0, isCancelled() { throw LogQLCancelled() }
                let entry = scanned.entry
                let timestamp = entry.timestamp.nanosecondsSinceEpoch
                guard timestamp >= scanStart, timestamp < scanEnd else { return true }
                let offset = timestamp - first
                let from = offset <= 0 ? 0 : Int((offset - 1) / step + 1)
                let reach = offset + range  // > 0: the entry is after first - range
                let to = min(Int((reach - 1) / step + 1), stepCount)
                guard from < to else { return true }  // in no window: step longer than range

                var index: Int
                var length = scanned.lineLength
                if settlesPerStream, isIrrelevant(entry.metadata) {
                    index = try streamSeriesIndex(scanned.streamID, entry.stream, entry.timestamp)
                    guard index >= 0, pipeline.passesLineFilters(entry.line) else { return true }
                } else {
                    var working = PipelineEntry(stream: entry.stream, metadata: entry.metadata, line: entry.line, timestamp: entry.timestamp)
                    guard pipeline.run(&working) else { return true }
                    index = try series(for: key(working))
                    if pipeline.hasLineFormat { length = working.line.count }
                }
                let base = index * width
                counts[base + from] += 1
                counts[base + to] -= 1
                if needsBytes {
                    bytes[base + from] += Int64(length)
                    bytes[base + to] -= Int64(length)
                }
                return true
            }
        }

        // Loki's Duration.Seconds(): whole seconds plus the nanosecond remainder.
        let seconds = Double(range / 1_000_000_000) + Double(range % 1_000_000_000) / 1e9
        var result: [MetricSeries] = []
        result.reserveCapacity(seriesLabels.count)
        for (index, labels) in seriesLabels.enumerated() {
            var values = [Double?](repeating: nil, count: stepCount)
            var count: Int64 = 0
            var size: Int64 = 0
            let base = index * width
            for step in 0..<stepCount {
                count += counts[base + step]
                if needsBytes { size += bytes[base + step] }
                guard count > 0 else { continue }
                switch aggregation.operation {
                case .countOverTime: values[step] = Double(count)
                case .rate: values[step] = Double(count) / seconds
                case .bytesOverTime: values[step] = Double(size)
                case .bytesRate: values[step] = Double(size) / seconds
                }
            }
            result.append(MetricSeries(labels: labels, values: values))
        }
        try Self.checkPipelineErrors(result, at: aggregation.position)
        return result
    }

    /// Loki fails a metric query whose range aggregation yields a series carrying
    /// `__error__` (unless a label filter removed those entries).
    static func checkPipelineErrors(_ series: [MetricSeries], at position: LogQLPosition) throws {
        let failing = series.filter { $0.labels["__error__"] != nil && $0.values.contains { $0 != nil } }
        guard let first = failing.min(by: { $0.sortKey < $1.sortKey }) else { return }
        let error = first.labels["__error__"]!
        throw LogQLError(.evaluation, "pipeline error: '\(error)' for series: '\(first.sortKey)'. Use a label filter to intentionally skip this error (e.g | __error__!=\"\(error)\"); to skip all potential errors, match empty errors (e.g | __error__=\"\")", at: position)
    }

    static func saturatingAdd(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (sum, overflow) = lhs.addingReportingOverflow(rhs)
        return overflow ? (rhs > 0 ? .max : .min) : sum
    }

    // MARK: Vector aggregations

    func aggregate(_ aggregation: LogQLVectorAggregation, _ inner: [MetricSeries]) -> [MetricSeries] {
        let ordered = inner.sorted { $0.sortKey < $1.sortKey }
        let groupLabels = ordered.map { Self.group($0.labels, aggregation.grouping) }
        var groupIndex: [Labels: Int] = [:]
        var groups: [[Int]] = []
        var groupKeys: [Labels] = []
        for (member, labels) in groupLabels.enumerated() {
            if let index = groupIndex[labels] {
                groups[index].append(member)
            } else {
                groupIndex[labels] = groups.count
                groups.append([member])
                groupKeys.append(labels)
            }
        }
        let stepCount = grid.count
        switch aggregation.operation {
        case .topk, .bottomk:
            let k = aggregation.parameter ?? 1
            let top = aggregation.operation == .topk
            var output = ordered.map { MetricSeries(labels: $0.labels, values: .init(repeating: nil, count: stepCount)) }
            for step in 0..<stepCount {
                for members in groups {
                    // Members are in sortKey order, so a stable sort breaks ties by labels.
                    let present = members.filter { ordered[$0].values[step] != nil }
                    let chosen = present.sorted { lhs, rhs in
                        let left = ordered[lhs].values[step]!
                        let right = ordered[rhs].values[step]!
                        if left != right { return top ? left > right : left < right }
                        return ordered[lhs].sortKey < ordered[rhs].sortKey
                    }.prefix(k)
                    for member in chosen { output[member].values[step] = ordered[member].values[step] }
                }
            }
            return output
        case .sum, .avg, .min, .max, .count:
            var output: [MetricSeries] = []
            for (index, members) in groups.enumerated() {
                var values = [Double?](repeating: nil, count: stepCount)
                for step in 0..<stepCount {
                    var accumulated: Double?
                    var count = 0
                    for member in members {
                        guard let value = ordered[member].values[step] else { continue }
                        count += 1
                        guard let current = accumulated else {
                            accumulated = value
                            continue
                        }
                        switch aggregation.operation {
                        case .sum, .avg: accumulated = current + value
                        case .min: accumulated = value < current ? value : current
                        case .max: accumulated = value > current ? value : current
                        default: break
                        }
                    }
                    guard let accumulated else { continue }
                    switch aggregation.operation {
                    case .avg: values[step] = accumulated / Double(count)
                    case .count: values[step] = Double(count)
                    default: values[step] = accumulated
                    }
                }
                output.append(MetricSeries(labels: groupKeys[index], values: values))
            }
            return output
        }
    }

    /// A series' labels reduced by `by` / `without` (no grouping: one group).
    static func group(_ labels: Labels, _ grouping: LogQLGrouping?) -> Labels {
        switch grouping {
        case nil: return Labels()
        case .by(let names)?:
            var dictionary: [String: String] = [:]
            for pair in labels where names.contains(pair.name) { dictionary[pair.name] = pair.value }
            return Labels(dictionary)
        case .without(let names)?:
            var result = labels
            for name in names { result[name] = nil }
            return result
        }
    }
}
