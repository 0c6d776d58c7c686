import Dispatch
import Glibc
import SluiceModel
import Synchronization

/// Buffers handed to the read workers, each of which touches only its own elements.
struct UncheckedSendable<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

extension MetricStore {
    /// Threads that decode one read's series (the machine's cores, at most 4).
    static let readWorkers = max(1, min(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    /// What a read works on, taken under the lock: the selected series, copies of their
    /// head data (oldest head first), and the blocks (oldest first).
    struct Snapshot {
        var ids: [UInt32]
        var labels: [Labels]
        /// Per head, per selected series (same positions as `ids`), its head data if any.
        var heads: [[MetricStoreHead.Series?]]
        var blocks: [LoadedBlock]

        /// Whether series `position` has a chunk (or out-of-order sample) in `start...end`.
        func hasData(_ position: Int, from start: Int64, through end: Int64) -> Bool {
            let id = ids[position]
            for loaded in blocks where loaded.block.minTime <= end && loaded.block.maxTime >= start {
                if let local = loaded.localByID[id], loaded.block.hasChunk(series: Int(local), from: start, through: end) {
                    return true
                }
            }
            for head in heads {
                guard let series = head[position], series.minTime <= end, series.maxTime >= start else { continue }
                if series.sealed.contains(where: { $0.minTime <= end && $0.maxTime >= start }) { return true }
                if series.open.count > 0, series.open.minTime <= end, series.open.maxTime >= start { return true }
                if series.outOfOrderTimes.contains(where: { $0 >= start && $0 <= end }) { return true }
            }
            return false
        }
    }

    /// Takes a snapshot of the series any of `matcherSets` selects (an empty list of sets
    /// selects every series; an empty set too).
    func snapshot(_ matcherSets: [[LabelMatcher]]) -> Snapshot {
        state.withLock { state in
            var ids: [UInt32]
            if matcherSets.isEmpty {
                ids = state.index.select([])
            } else if matcherSets.count == 1 {
                ids = state.index.select(matcherSets[0])
            } else {
                ids = SeriesIndex.unique(matcherSets.flatMap { state.index.select($0) }.sorted())
            }
            let heads = (state.flushing + [state.head]).filter { !$0.isEmpty }.map { head in ids.map { head.series($0) } }
            return Snapshot(ids: ids, labels: ids.map { state.index.labels[Int($0)] }, heads: heads, blocks: state.blocks)
        }
    }

    /// Every series matching all `matchers` with its samples in `start...end` (milliseconds,
    /// inclusive), ascending and unique per series, stale markers included; series without
    /// samples there are left out. Head and blocks are merged.
    public func samples(matching matchers: [LabelMatcher], start: Int64, end: Int64) throws -> [MetricSeriesSamples] {
        guard start <= end else { return [] }
        let snapshot = snapshot([matchers])
        let count = snapshot.ids.count
        var times = [[Int64]](repeating: [], count: count)
        var values = [[Double]](repeating: [], count: count)
        var unordered = [Bool](repeating: false, count: count)
        // Blocks in write order, then heads: when equal times meet, the first written stays.
        let blocks = snapshot.blocks.filter { $0.block.minTime <= end && $0.block.maxTime >= start }
        if !blocks.isEmpty {
            try decode(blocks, ids: snapshot.ids, from: start, through: end, times: &times, values: &values, unordered: &unordered)
        }
        for head in snapshot.heads {
            for position in 0..<count {
                guard let series = head[position], series.minTime <= end, series.maxTime >= start else { continue }
                let before = times[position].count
                do {
                    if try series.collect(from: start, through: end, into: &times[position], &values[position]) {
                        unordered[position] = true
                    }
                } catch let error as XORChunkError {
                    throw MetricStoreError.corrupt(path: "(head)", reason: "\(error)")
                }
                if before > 0, times[position].count > before, times[position][before] <= times[position][before - 1] {
                    unordered[position] = true
                }
            }
        }
        var result: [MetricSeriesSamples] = []
        for position in 0..<count where !times[position].isEmpty {
            if unordered[position] { sortAndDeduplicate(&times[position], &values[position]) }
            result.append(MetricSeriesSamples(labels: snapshot.labels[position], timestamps: times[position],
                                              values: values[position]))
        }
        return result
    }

    /// Appends every selected series' block samples in `start...end` (blocks in write
    /// order). Series are decoded on every core, each worker a contiguous run of them
    /// (series of one frame sit together, so a worker decompresses a frame once).
    private func decode(_ blocks: [LoadedBlock], ids: [UInt32], from start: Int64, through end: Int64,
                        times: inout [[Int64]], values: inout [[Double]], unordered: inout [Bool]) throws {
        let count = ids.count
        let workers = min(Self.readWorkers, max(1, count / 32))
        let failure = Mutex<(any Error)?>(nil)
        times.withUnsafeMutableBufferPointer { times in
            values.withUnsafeMutableBufferPointer { values in
                unordered.withUnsafeMutableBufferPointer { unordered in
                    let (times, values, unordered) = (UncheckedSendable(times), UncheckedSendable(values), UncheckedSendable(unordered))
                    DispatchQueue.concurrentPerform(iterations: workers) { worker in
                        let codec = ZstdFrameCodec()
                        do {
                            for loaded in blocks {
                                var frame: (index: Int, bytes: [UInt8])?
                                for position in (count * worker / workers)..<(count * (worker + 1) / workers) {
                                    guard let local = loaded.localByID[ids[position]] else { continue }
                                    let before = times.value[position].count
                                    try loaded.block.decode(series: Int(local), from: start, through: end, codec: codec, frame: &frame,
                                                            into: &times.value[position], &values.value[position])
                                    if before > 0, times.value[position].count > before,
                                       times.value[position][before] <= times.value[position][before - 1] {
                                        unordered.value[position] = true
                                    }
                                }
                            }
                        } catch {
                            failure.withLock { $0 = $0 ?? error }
                        }
                    }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// The label sets of the series that some matcher set selects and that have data in
    /// `start...end` (by chunk bounds, as Prometheus), sorted; `[]` means every series.
    /// For `/api/v1/series`.
    public func series(matching matcherSets: [[LabelMatcher]], start: Int64 = .min, end: Int64 = .max) -> [Labels] {
        let snapshot = snapshot(matcherSets)
        return snapshot.ids.indices.filter { snapshot.hasData($0, from: start, through: end) }
            .map { snapshot.labels[$0] }
            .sorted(by: Self.precedes)
    }

    /// The label names of those series, sorted and unique. For `/api/v1/labels`.
    public func labelNames(matching matcherSets: [[LabelMatcher]] = [], start: Int64 = .min, end: Int64 = .max) -> [String] {
        let snapshot = snapshot(matcherSets)
        var names = Set<String>()
        for position in snapshot.ids.indices where snapshot.hasData(position, from: start, through: end) {
            for pair in snapshot.labels[position] { names.insert(pair.name) }
        }
        return names.sorted()
    }

    /// The values label `name` takes in those series, sorted and unique. For
    /// `/api/v1/label/<name>/values`.
    public func labelValues(name: String, matching matcherSets: [[LabelMatcher]] = [],
                            start: Int64 = .min, end: Int64 = .max) -> [String] {
        let snapshot = snapshot(matcherSets)
        var values = Set<String>()
        for position in snapshot.ids.indices {
            guard let value = snapshot.labels[position][name], !values.contains(value),
                  snapshot.hasData(position, from: start, through: end) else { continue }
            values.insert(value)
        }
        return values.sorted()
    }

    /// Prometheus's label-set order: pair by pair, name then value; a prefix first.
    static func precedes(_ lhs: Labels, _ rhs: Labels) -> Bool {
        for (left, right) in zip(lhs.pairs, rhs.pairs) {
            if left.name != right.name { return left.name < right.name }
            if left.value != right.value { return left.value < right.value }
        }
        return lhs.pairs.count < rhs.pairs.count
    }
}
