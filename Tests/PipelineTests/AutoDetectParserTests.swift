import Pipeline
import SluiceModel
import Testing

@Suite struct AutoDetectParserTests {
    let parser = AutoDetectParser()

    @Test func detectsEverySample() throws {
        for (line, format) in Samples.all {
            #expect(parser.detect(line) == format, "\(line)")
            // Auto-detection gives what the format's own parser gives.
            let own = try #require(format.makeParser()?.parse(line, now: sampleNow), "\(line)")
            #expect(parser.parse(line, now: sampleNow) == own, "\(line)")
        }
    }

    @Test(arguments: [
        "", "   ", "hello world", "Started Session 42 of User deploy.", "value x=1 is out of range",
        "2026-11-22 06:16:27.123 ERROR 4242 --- [main] c.e.b.ChargeService : Charge failed",
        "{not json", "[1,2,3]", "<bad> thing",
    ])
    func leavesUnknownLinesUnparsed(_ line: String) {
        #expect(parser.parse(line, now: sampleNow) == nil)
        #expect(parser.detect(line) == nil)
    }

    @Test func javaMultiLineEventsTakeTheFirstLinesFormat() throws {
        let cases: [(String, LogFormat, String)] = [
            ("Nov 22 06:16:27 app-1 java[4242]: ERROR c.e.b.ChargeService - Charge failed", .syslog3164,
             "ERROR c.e.b.ChargeService - Charge failed"),
            ("<11>1 2026-11-22T06:16:27.123Z app-1 billing 4242 - - Charge failed", .syslog5424, "Charge failed"),
            ("<11>Nov 22 06:16:27 app-1 billing[4242]: Charge failed", .syslog3164, "Charge failed"),
            (#"level=error msg="Charge failed" order=7"#, .logfmt, "Charge failed"),
        ]
        for (first, format, message) in cases {
            let result = try parsed(parser, first + "\n" + Samples.javaTrace)
            #expect(result.format == format)
            #expect(result.message == message + "\n" + Samples.javaTrace)
            #expect(result.timestamp != nil || format == .logfmt)
        }
        // A Spring Boot / logback first line is no known format: the event stays raw.
        #expect(parser.parse("2026-11-22 06:16:27.123 ERROR 4242 --- [main] c.e.App : Charge failed\n" + Samples.javaTrace,
                             now: sampleNow) == nil)
    }

    @Test func logFormatNames() {
        #expect(LogFormat.allCases.map(\.rawValue) == ["json", "logfmt", "rfc5424", "rfc3164", "combined", "common", "regex"])
        #expect(LogFormat.regex.makeParser() == nil)
    }
}
