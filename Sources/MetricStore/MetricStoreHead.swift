/// Samples not yet in a block: per series, sealed chunks, the open chunk, and an
/// out-of-order buffer for samples older than the series' newest. Flushed whole as a block.
///
/// Thread-safety: a value type kept under the store's lock; readers copy the series they
/// need (array copies share storage until the next append to that series).
struct MetricStoreHead {
    struct Series: Sendable {
        let id: UInt32
        var sealed: [XORChunk] = []
        var open = XORChunkEncoder()
        /// Arrival order; sorted and merged at read and flush time.
        var outOfOrderTimes: [Int64] = []
        var outOfOrderValues: [Double] = []
        var minTime = Int64.max
        var maxTime = Int64.min

        init(id: UInt32) { self.id = id }

        var sampleCount: Int { sealed.reduce(open.count) { $0 + $1.count } + outOfOrderTimes.count }

        /// Samples in `start...end`: the in-order ones ascending, then the out-of-order ones
        /// in arrival order. Returns whether the result may need sorting.
        func collect(from start: Int64, through end: Int64,
                     into timestamps: inout [Int64], _ values: inout [Double]) throws -> Bool {
            for chunk in sealed where chunk.maxTime >= start && chunk.minTime <= end {
                try chunk.decode(from: start, through: end, into: &timestamps, &values)
            }
            if open.count > 0, open.maxTime >= start, open.minTime <= end {
                try open.decode(from: start, through: end, into: &timestamps, &values)
            }
            var unordered = false
            for (index, time) in outOfOrderTimes.enumerated() where time >= start && time <= end {
                timestamps.append(time)
                values.append(outOfOrderValues[index])
                unordered = true
            }
            return unordered
        }
    }

    private(set) var series: [Series] = []
    /// Position in `series` by series id, -1 when absent.
    private var slots: [Int32] = []
    private(set) var sampleCount = 0

    var isEmpty: Bool { sampleCount == 0 }

    func series(_ id: UInt32) -> Series? {
        let index = Int(id)
        guard index < slots.count, slots[index] >= 0 else { return nil }
        return series[Int(slots[index])]
    }

    @inline(__always)
    private mutating func slot(_ id: UInt32) -> Int {
        let index = Int(id)
        if index >= slots.count { slots.append(contentsOf: repeatElement(-1, count: index + 1 - slots.count)) }
        if slots[index] < 0 {
            slots[index] = Int32(series.count)
            series.append(Series(id: id))
        }
        return Int(slots[index])
    }

    /// Appends a sample newer than every other of its series.
    @inline(__always)
    mutating func appendInOrder(_ id: UInt32, _ time: Int64, _ value: Double) {
        let position = slot(id)
        let count = series[position].open.count
        if count >= XORChunk.targetSamples
            || (count > 0 && time &- series[position].open.minTime >= XORChunk.maxSpanMilliseconds) {
            series[position].sealed.append(series[position].open.chunk)
            series[position].open = XORChunkEncoder()
        }
        series[position].open.append(time, value)
        if time < series[position].minTime { series[position].minTime = time }
        if time > series[position].maxTime { series[position].maxTime = time }
        sampleCount += 1
    }

    /// Keeps a sample older than its series' newest.
    mutating func appendOutOfOrder(_ id: UInt32, _ time: Int64, _ value: Double) {
        let position = slot(id)
        series[position].outOfOrderTimes.append(time)
        series[position].outOfOrderValues.append(value)
        if time < series[position].minTime { series[position].minTime = time }
        if time > series[position].maxTime { series[position].maxTime = time }
        sampleCount += 1
    }
}

/// Sorts samples by time and keeps the first of equal timestamps (stable: earlier sources
/// win, as the first-written sample does in Prometheus).
func sortAndDeduplicate(_ timestamps: inout [Int64], _ values: inout [Double]) {
    var order = Array(timestamps.indices)
    order.sort { timestamps[$0] != timestamps[$1] ? timestamps[$0] < timestamps[$1] : $0 < $1 }
    var sortedTimes: [Int64] = []
    var sortedValues: [Double] = []
    sortedTimes.reserveCapacity(order.count)
    sortedValues.reserveCapacity(order.count)
    for index in order where sortedTimes.last != timestamps[index] {
        sortedTimes.append(timestamps[index])
        sortedValues.append(values[index])
    }
    timestamps = sortedTimes
    values = sortedValues
}
