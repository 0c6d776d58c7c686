import Pipeline
import SluiceModel
import Testing

@Suite struct LogfmtParserTests {
    let parser = LogfmtParser()

    @Test func prometheusGoKit() throws {
        let result = try parsed(parser, Samples.logfmt[0])
        #expect(result.format == .logfmt)
        #expect(result.fields == ["ts": "2026-11-22T06:16:27.123Z", "caller": "main.go:1150", "level": "info",
                                  "msg": "Server is ready to receive web requests."])
        #expect(result.timestamp == Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 123_000_000))
        #expect(result.level == .info)
        #expect(result.message == "Server is ready to receive web requests.")
    }

    @Test func logrusText() throws {
        let result = try parsed(parser, Samples.logfmt[1])
        #expect(result.fields == ["time": "2026-11-22T06:16:27Z", "level": "warning", "msg": "disk almost full",
                                  "path": "/var/lib/sluice", "free": "1.2GB"])
        #expect(result.timestamp == at("2026-11-22T06:16:27Z"))
        #expect(result.level == .warning)
    }

    @Test func herokuRouterHasNoLevelMessageOrTime() throws {
        let result = try parsed(parser, Samples.logfmt[2])
        #expect(result.fields == ["at": "info", "method": "GET", "path": "/api/orders?id=7", "host": "shop.herokuapp.com",
                                  "request_id": "8601b555-6a22-4a5d-b8a4-0e8a6a5c2b1f", "fwd": "203.0.113.7",
                                  "dyno": "web.1", "connect": "0ms", "service": "14ms", "status": "200",
                                  "bytes": "1548", "protocol": "https"])
        #expect(result.timestamp == nil)
        #expect(result.message == nil)
        #expect(result.level == nil)
    }

    @Test func slogText() throws {
        let result = try parsed(parser, Samples.logfmt[3])
        #expect(result.fields["err"] == "dial tcp 10.0.0.7:5432: connect: connection refused")
        #expect(result.fields["retry"] == "true")
        #expect(result.timestamp == at("2026-11-22T06:16:27Z"))
        #expect(result.level == .error)
        #expect(result.message == "upstream failed")
    }

    @Test func quotingBareKeysAndEmptyValues() throws {
        let result = try parsed(parser, #"msg="quoted \"v\" \\ \n\u00e9" flag key= other=x"#)
        #expect(result.fields == ["msg": "quoted \"v\" \\ \né", "flag": true, "key": "", "other": "x"])
    }

    @Test(arguments: [
        "just some words", "a=1", "a=1 only one pair here", #"a="unterminated b=2"#, "=x a=1 b=2",
        #"a=1 b="x"y"#, #"a=b"c d=e"#, "",
    ])
    func rejects(_ line: String) {
        #expect(parser.parse(line, now: sampleNow) == nil)
    }

    @Test func javaTraceAfterALogfmtLine() throws {
        let result = try parsed(parser, #"level=error msg="charge failed" order=7"# + "\n" + Samples.javaTrace)
        #expect(result.fields == ["level": "error", "msg": "charge failed", "order": "7"])
        #expect(result.message == "charge failed\n" + Samples.javaTrace)
        #expect(result.level == .error)
    }
}
