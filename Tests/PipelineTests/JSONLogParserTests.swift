import Pipeline
import SluiceModel
import Testing

@Suite struct JSONLogParserTests {
    let parser = JSONLogParser()

    @Test func zap() throws {
        let result = try parsed(parser, Samples.json[0])
        #expect(result.format == .json)
        #expect(result.fields == ["level": "info", "ts": 1795328187.123456, "caller": "server/main.go:42",
                                  "msg": "listening", "addr": ":8080"])
        #expect(result.timestamp == Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 123_456_000))
        #expect(result.message == "listening")
        #expect(result.level == .info)
    }

    @Test func logrus() throws {
        let result = try parsed(parser, Samples.json[1])
        #expect(result.fields == ["free_bytes": 1_073_741_824, "level": "warning", "msg": "disk almost full",
                                  "path": "/var/lib/sluice", "time": "2026-11-22T06:16:27Z"])
        #expect(result.timestamp == at("2026-11-22T06:16:27Z"))
        #expect(result.level == .warning)
    }

    @Test func slogFlattensGroupsAndKeepsArraysAsText() throws {
        let result = try parsed(parser, Samples.json[2])
        #expect(result.fields == ["time": "2026-11-22T07:16:27.123456789+01:00", "level": "WARN", "msg": "slow query",
                                  "query.table": "orders", "query.duration_ms": 1500,
                                  "query.rows": #"[1,2,{"x":null}]"#, "cached": false, "trace": nil])
        #expect(result.timestamp == Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 123_456_789))
        #expect(result.level == .warning)
        #expect(result.message == "slow query")
    }

    @Test func pinoNumericLevelAndMillisecondTime() throws {
        let result = try parsed(parser, Samples.json[3])
        #expect(result.fields == ["level": 30, "time": 1_795_328_187_123, "pid": 4242, "hostname": "api-1",
                                  "req.id": 1, "req.method": "GET", "req.url": "/health",
                                  "msg": "request completed", "responseTime": 3.5])
        #expect(result.timestamp == Timestamp(nanosecondsSinceEpoch: 1_795_328_187_123_000_000))
        #expect(result.level == .info)
    }

    @Test func javaExceptionFromLogstashEncoder() throws {
        let result = try parsed(parser, Samples.json[4])
        #expect(result.message == "Charge failed")
        #expect(result.level == .error)
        #expect(result.timestamp == Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 123_000_000))
        #expect(result.fields["stack_trace"] == .string(
            "java.lang.IllegalStateException: card declined\n\tat com.example.billing.ChargeService.charge(ChargeService.java:42)\n"))
        #expect(result.fields["level_value"] == 40000)
    }

    @Test func escapesAndNumbers() throws {
        let line = #"{"msg":"caf\u00e9 \ud83d\ude80 \"q\" \\ \/ \n\t","raw":"🚀","big":12345678901234567890,"min":-9223372036854775808,"neg":-0.5,"exp":1E3,"zero":0,"lone":"\udc00x","e":{}}"#
        let result = try parsed(parser, line)
        #expect(result.fields == ["msg": "café 🚀 \"q\" \\ / \n\t", "raw": "🚀", "big": 12345678901234567890.0,
                                  "min": .int(Int64.min), "neg": -0.5, "exp": 1000.0, "zero": 0, "lone": "\u{FFFD}x"])
    }

    @Test func prettyPrintedObjectIsOneEvent() throws {
        let result = try parsed(parser, "{\n  \"msg\": \"hi\",\n  \"n\": 1\n}\n")
        #expect(result.fields == ["msg": "hi", "n": 1])
    }

    @Test(arguments: [
        #"{"a":1,}"#, #"{"a":01}"#, #"{"a":"x\q"}"#, #"{"a" 1}"#, #"{"a":1} x"#, "[1,2]", #"{"a":tru}"#,
        "{\"a\":\"tab\there\"}", #"{"a":-}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":1e}"#, #"{"a":"\u12"}"#,
        #"{a:1}"#, #"{"a":[1,]}"#, #"{"a":[1 2]}"#, #"{"a":{"b":1}"#, "", "{", "}", #"{"a":1}}"#,
        #"{"a":NaN}"#, #"{"a":'x'}"#,
    ])
    func rejectsInvalidJSON(_ line: String) {
        #expect(parser.parse(line, now: sampleNow) == nil)
    }

    @Test func deepNestingIsRejectedNotACrash() {
        let deepArray = #"{"a":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        let deepObject = String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        #expect(parser.parse(deepArray, now: sampleNow) == nil)
        #expect(parser.parse(deepObject, now: sampleNow) == nil)
        let ok = String(repeating: #"{"a":"#, count: 10) + "1" + String(repeating: "}", count: 10)
        #expect(parser.parse(ok, now: sampleNow)?.fields == ["a.a.a.a.a.a.a.a.a.a": 1])
    }

    @Test func everyProperPrefixIsRejected() {
        for line in Samples.json {
            let bytes = Array(line.utf8)
            for length in 0..<bytes.count {
                let prefix = String(decoding: bytes[0..<length], as: UTF8.self)
                #expect(parser.parse(prefix, now: sampleNow) == nil, "prefix \(length) of \(line)")
            }
        }
    }
}
