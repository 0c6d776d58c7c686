import SluiceModel
import Testing
import TestSupport
@testable import MetricStore

@Suite struct DecimalValuesTests {
    func roundTrip(_ values: [Double]) throws -> [UInt8]? {
        guard let bytes = DecimalValues.encode(values) else { return nil }
        var decoded: [Double] = []
        try bytes.withUnsafeBytes { try DecimalValues.decode($0, count: values.count, into: &decoded) }
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
        return bytes
    }

    @Test func agentValuesReadBackBitForBit() throws {
        var random = SplitMix64(seed: 11)
        // CPU seconds in hundredths, bytes in pages, load averages, milliseconds of I/O.
        var cpu = 814_007.19, pages = 8_589_934_592.0, load = 0.8, io = 12_345.678
        var series: [[Double]] = [[], [], [], []]
        for _ in 0..<120 {
            cpu = ((cpu * 100 + Double(Int.random(in: 90...270, using: &random))) / 100)
            cpu = (cpu * 100).rounded() / 100
            pages += Double(Int.random(in: -2000...2000, using: &random) * 4096)
            load = (max(0, load + Double(Int.random(in: -5...5, using: &random)) / 100) * 100).rounded() / 100
            io = ((io * 1000).rounded() + Double(Int.random(in: 0...500, using: &random))) / 1000
            series[0].append(cpu); series[1].append(pages); series[2].append(load); series[3].append(io)
        }
        // Bytes per value: far below XOR's 6-8 for such decimals; the page counts' random
        // walk of ±2000 pages needs its ~23 bits.
        for (values, bound) in zip(series, [2.0, 4.0, 1.5, 2.0]) {
            let bytes = try #require(try roundTrip(values))
            #expect(Double(bytes.count) < Double(values.count) * bound, "\(bytes.count) bytes for \(values.count) values")
        }
        // A steady counter is all zero delta-of-deltas: about a byte per value.
        let steady = try #require(try roundTrip((0..<120).map { Double($0) * 10.5 }))
        #expect(steady.count <= 125)
    }

    @Test func valuesThatAreNotShortDecimalsStayXOR() throws {
        #expect(DecimalValues.encode([]) == nil)
        for odd: Double in [.nan, StaleMarker.value, .infinity, -.infinity, -0.0, 0.1 + 0.2, 1e300, 1.0 / 3, 9_007_199_254_740_993] {
            #expect(DecimalValues.encode([1, odd, 2]) == nil, "\(odd)")
        }
        // Random doubles round-trip whenever they are accepted.
        var random = SplitMix64(seed: 12)
        for _ in 0..<200 {
            let values = (0..<20).map { _ in Double(bitPattern: random.next()) }
            _ = try roundTrip(values)
            let decimals = (0..<20).map { _ in Double(Int.random(in: -1_000_000...1_000_000, using: &random)) / 1000 }
            #expect(try roundTrip(decimals) != nil)
        }
    }

    @Test func truncatedStreamsAreErrors() throws {
        let bytes = try #require(DecimalValues.encode([1.5, 2.5, 4.25, 1000.125]))
        for length in 0..<bytes.count {
            var decoded: [Double] = []
            #expect(throws: XORChunkError.self) {
                try Array(bytes[..<length]).withUnsafeBytes { try DecimalValues.decode($0, count: 4, into: &decoded) }
            }
        }
        var decoded: [Double] = []
        #expect(throws: XORChunkError.self) {
            try [UInt8(0xFF), 0].withUnsafeBytes { try DecimalValues.decode($0, count: 1, into: &decoded) }
        }
    }
}
