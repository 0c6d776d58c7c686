import Pipeline
import SluiceModel
import Testing

@Suite struct TimestampExtractorTests {
    let expected = Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000)

    @Test func unixByMagnitude() {
        #expect(TimestampExtractor.timestamp(from: .int(sampleSecond)) == expected)
        #expect(TimestampExtractor.timestamp(from: .int(sampleSecond * 1000)) == expected)
        #expect(TimestampExtractor.timestamp(from: .int(sampleSecond * 1_000_000)) == expected)
        #expect(TimestampExtractor.timestamp(from: .int(sampleSecond * 1_000_000_000)) == expected)
        #expect(TimestampExtractor.timestamp(from: .double(1795328187.25)) ==
            Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 250_000_000))
        #expect(TimestampExtractor.timestamp(from: .double(1795328187250.5)) ==
            Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 250_500_000))
        #expect(TimestampExtractor.timestamp(from: .string("1795328187")) == expected)
        #expect(TimestampExtractor.timestamp(from: .string("1795328187000")) == expected)
        #expect(TimestampExtractor.timestamp(from: .string("1795328187.5")) ==
            Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 500_000_000))
    }

    @Test func textFormats() {
        #expect(TimestampExtractor.timestamp(from: "2026-11-22T06:16:27Z") == expected)
        #expect(TimestampExtractor.timestamp(from: "2026-11-22T08:16:27+02:00") == expected)
        #expect(TimestampExtractor.timestamp(from: "22/Nov/2026:06:16:27 +0000") == expected)
        #expect(TimestampExtractor.timestamp(from: "22/Nov/2026:01:16:27 -0500") == expected)
        #expect(TimestampExtractor.commonLogTime("22/Nov/2026:06:16:27 +0000") == expected)
    }

    @Test func nonTimestamps() {
        for value: FieldValue in ["", "soon", "12ab", "1e9", "nan", "inf", "-", true, nil, .double(.nan), .double(.infinity)] {
            #expect(TimestampExtractor.timestamp(from: value) == nil, "\(value)")
        }
    }

    @Test func outOfRangeIsNilNotATrap() {
        // Nanoseconds use the whole Int64 range: these are 2262 and 1677.
        #expect(TimestampExtractor.timestamp(from: .int(.max)) == Timestamp(nanosecondsSinceEpoch: .max))
        #expect(TimestampExtractor.timestamp(from: .int(.min)) == Timestamp(nanosecondsSinceEpoch: .min))
        for value: FieldValue in [.int(99_999_999_999), .int(-99_999_999_999), .double(9.9e10), .double(.greatestFiniteMagnitude),
                                  "9999-12-31T23:59:59Z", "31/Dec/9999:23:59:59 +0000", "99999999999"] {
            #expect(TimestampExtractor.timestamp(from: value) == nil, "\(value)")
        }
        #expect(Syslog5424Parser().parse("<14>1 9999-01-01T00:00:00Z h a - - - m", now: sampleNow) == nil)
        #expect(AccessLogParser().parse(#"1.2.3.4 - - [01/Jan/9999:00:00:00 +0000] "GET / HTTP/1.1" 200 1"#,
                                        now: sampleNow) == nil)
    }

    @Test func fieldPreference() {
        let fields: ParsedFields = ["time": "2026-11-22T06:16:27Z", "timestamp": "not a time", "ts": 1]
        #expect(TimestampExtractor.timestamp(in: fields) == expected)
        #expect(TimestampExtractor.timestamp(in: ["@timestamp": "2026-11-22T06:16:27Z"]) == expected)
        #expect(TimestampExtractor.timestamp(in: ["msg": "x"]) == nil)
    }
}
