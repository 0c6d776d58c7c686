import Pipeline
import Testing

@Suite struct LevelNormalizerTests {
    @Test(arguments: [
        ("EMERG", LogLevel.critical), ("alert", .critical), ("Crit", .critical), ("CRITICAL", .critical),
        ("fatal", .critical), ("FATA", .critical), ("panic", .critical), ("dpanic", .critical),
        ("ERROR", .error), ("Err", .error), ("E", .error), ("eror", .error), ("ERRO", .error), ("SEVERE", .error),
        ("WARN", .warning), ("warning", .warning), ("W", .warning),
        ("info", .info), ("INFO", .info), ("notice", .info), ("Informational", .info), ("I", .info),
        ("debug", .debug), ("DEBU", .debug), ("dbug", .debug), ("D", .debug), ("FINE", .debug),
        ("trace", .trace), ("TRAC", .trace), ("finest", .trace), ("verbose", .trace),
        ("0", .critical), ("2", .critical), ("3", .error), ("4", .warning), ("5", .info), ("6", .info), ("7", .debug),
        ("30", .info), ("50", .error), ("60", .critical),
        ("8", .unknown), ("loud", .unknown), ("", .unknown),
    ])
    func words(_ text: String, _ expected: LogLevel) {
        #expect(LevelNormalizer.level(fromText: text) == expected)
    }

    @Test func fieldNamesAndValueTypes() {
        #expect(LevelNormalizer.level(in: ["msg": "x", "severity": "Warning"]) == .warning)
        #expect(LevelNormalizer.level(in: ["LogLevel": "debug"]) == .debug)
        #expect(LevelNormalizer.level(in: ["log.level": "error"]) == .error)
        #expect(LevelNormalizer.level(in: ["lvl": 4]) == .warning)
        #expect(LevelNormalizer.level(in: ["level": 40.0]) == .warning)
        #expect(LevelNormalizer.level(in: ["level": true]) == .unknown)
        #expect(LevelNormalizer.level(in: ["msg": "no level"]) == nil)
        #expect(LevelNormalizer.level(in: ["severity": "info", "level": "error"]) == .error)
    }

    @Test func syslogSeverities() {
        let expected: [LogLevel] = [.critical, .critical, .critical, .error, .warning, .info, .info, .debug]
        #expect((0...7).map { LevelNormalizer.level(syslogSeverity: $0) } == expected)
        #expect(LevelNormalizer.level(syslogSeverity: 8) == .unknown)
    }
}
