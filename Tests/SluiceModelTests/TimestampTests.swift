import SluiceModel
import Testing

@Suite struct TimestampTests {
    @Test func formatsWithNineFractionDigits() {
        #expect(Timestamp(nanosecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000000000Z")
        #expect(Timestamp(nanosecondsSinceEpoch: 1_795_328_187_123_456_789).rfc3339 == "2026-11-22T06:16:27.123456789Z")
        #expect(Timestamp(nanosecondsSinceEpoch: 951_782_400_000_000_000).rfc3339 == "2000-02-29T00:00:00.000000000Z")
        #expect(Timestamp(nanosecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999999999Z")
    }

    @Test func parsesWhatItFormatsAndOffsets() {
        var state: UInt64 = 7
        for _ in 0..<5000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let nanos = Int64(bitPattern: state >> 2) % 4_000_000_000_000_000_000
            let stamp = Timestamp(nanosecondsSinceEpoch: nanos)
            #expect(Timestamp(rfc3339: stamp.rfc3339) == stamp)
        }
        #expect(Timestamp(rfc3339: "2026-11-22T07:16:27.5+01:00")?.rfc3339 == "2026-11-22T06:16:27.500000000Z")
        #expect(Timestamp(rfc3339: "2026-11-22T06:16:27Z")?.millisecondsSinceEpoch == 1_795_328_187_000)
        for bad in ["9999-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "", "2026-11-22", "2026-13-01T00:00:00Z", "2026-11-22T06:16:27", "2026-11-22T06:16:27.Z", "x026-11-22T06:16:27Z"] {
            #expect(Timestamp(rfc3339: bad) == nil, "\(bad)")
        }
    }
}
