import SluiceModel
import Testing
import TestSupport
@testable import MetricStore

@Suite struct XORChunkTests {
    func roundTrip(_ times: [Int64], _ values: [Double]) throws {
        var encoder = XORChunkEncoder()
        for (time, value) in zip(times, values) { encoder.append(time, value) }
        var decodedTimes: [Int64] = [], decodedValues: [Double] = []
        try encoder.chunk.decode(into: &decodedTimes, &decodedValues)
        #expect(decodedTimes == times)
        #expect(decodedValues.map(\.bitPattern) == values.map(\.bitPattern))
        // The open encoder decodes the same without concatenating.
        var openTimes: [Int64] = [], openValues: [Double] = []
        try encoder.decode(into: &openTimes, &openValues)
        #expect(openTimes == times)
        #expect(openValues.map(\.bitPattern) == values.map(\.bitPattern))
    }

    @Test func edgeValuesSurviveBitForBit() throws {
        let values: [Double] = [0, -0.0, .nan, StaleMarker.value, .infinity, -.infinity, 1, 1, 1.5, -2.25e300,
                                .leastNonzeroMagnitude, .greatestFiniteMagnitude, Double(bitPattern: 0x7FF8_0000_DEAD_BEEF), 0]
        try roundTrip(values.indices.map { Int64($0) * 10_000 }, values)
    }

    @Test func singleSample() throws {
        try roundTrip([1_700_000_000_000], [42])
        try roundTrip([-5], [StaleMarker.value])
    }

    @Test func hugeTimestampGapsAndEveryBucket() throws {
        let times: [Int64] = [Int64.min + 1, -1_000_000_000_000, 0, 1, 2, 10_002, 10_003, 30_000, 100_000, 700_000,
                              1_500_000, 1_500_001, 9_000_000_000_000, 9_000_000_000_001, Int64.max - 1, Int64.max]
        try roundTrip(times, times.map { Double($0 % 1000) })
    }

    @Test func randomSeriesRoundTrip() throws {
        var random = SplitMix64(seed: 6)
        for _ in 0..<200 {
            let count = Int.random(in: 1...300, using: &random)
            var time = Int64.random(in: -1_000_000...2_000_000_000_000, using: &random)
            var value = Double.random(in: -1e6...1e6, using: &random)
            var times: [Int64] = [], values: [Double] = []
            for _ in 0..<count {
                times.append(time)
                values.append(value)
                switch Int.random(in: 0..<10, using: &random) {
                case 0: time += Int64.random(in: 1...10_000_000_000, using: &random)
                case 1...6: time += 10_000 + Int64.random(in: -5...5, using: &random)
                default: time += 10_000
                }
                switch Int.random(in: 0..<8, using: &random) {
                case 0: value = Double(bitPattern: random.next())
                case 1: value = [.nan, StaleMarker.value, .infinity, -.infinity, -0.0].randomElement(using: &random)!
                case 2...4: value += Double(Int.random(in: 0...5000, using: &random))
                case 5: value += Double.random(in: 0...1, using: &random)
                default: break
                }
            }
            try roundTrip(times, values)
        }
    }

    @Test func rangeDecodingKeepsOnlyTheRange() throws {
        var encoder = XORChunkEncoder()
        for index in 0..<150 { encoder.append(Int64(index) * 1000, Double(index)) }
        var times: [Int64] = [], values: [Double] = []
        try encoder.chunk.decode(from: 10_500, through: 20_000, into: &times, &values)
        #expect(times == (11...20).map { Int64($0) * 1000 })
        #expect(values == (11...20).map(Double.init))
    }

    @Test func truncatedStreamThrows() throws {
        var encoder = XORChunkEncoder()
        for index in 0..<50 { encoder.append(Int64(index) * 7919, Double(index) * 1.1) }
        var chunk = encoder.chunk
        chunk.bytes.removeLast(3)
        var times: [Int64] = [], values: [Double] = []
        #expect(throws: XORChunkError.self) { try chunk.decode(into: &times, &values) }
    }
}
