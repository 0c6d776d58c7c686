import Pipeline
import SluiceModel
import Testing

@Suite struct RegexParserTests {
    @Test func namedCapturesBecomeFields() throws {
        let parser = try RegexParser(pattern: #"^\[(?<time>[^\]]+)\] (?<level>\w+) (?<component>\w+): (?<msg>.*)$"#)
        let result = try parsed(parser, "[2026-11-22T06:16:27Z] WARN payments: retry 3/5")
        #expect(result.format == .regex)
        #expect(result.fields == ["time": "2026-11-22T06:16:27Z", "level": "WARN", "component": "payments",
                                  "msg": "retry 3/5"])
        #expect(result.timestamp == at("2026-11-22T06:16:27Z"))
        #expect(result.level == .warning)
        #expect(result.message == "retry 3/5")
    }

    @Test func re2SyntaxUnnamedGroupsAndSearch() throws {
        let parser = try RegexParser(pattern: #"(\w+) took (?P<duration_ms>\d+)ms"#)
        let result = try parsed(parser, "INFO query took 153ms on replica-2")
        #expect(result.fields == ["duration_ms": "153"])
        #expect(parser.parse("nothing here", now: sampleNow) == nil)
    }

    @Test func refusesBadPatterns() {
        #expect(throws: RegexParser.Error.self) { try RegexParser(pattern: "(?<a>") }
        #expect(throws: RegexParser.Error.noNamedCaptures(#"\d+"#)) { try RegexParser(pattern: #"\d+"#) }
        #expect(throws: RegexParser.Error.noNamedCaptures("(?:ab)+c")) { try RegexParser(pattern: "(?:ab)+c") }
    }
}
