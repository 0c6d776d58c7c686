import AgentInputs
import SluiceModel
import Testing

/// How a journal entry becomes a `journald` log event.
@Suite struct JournalEntryTests {
    private func entry(_ fields: [(String, String)], extra: [(name: String, value: [UInt8])] = []) -> JournalEntry {
        JournalEntry(cursor: "s=1;i=2", realtime: Timestamp(microsecondsSinceEpoch: 1_750_000_000_123_456),
                     fields: fields.map { (name: $0.0, value: Array($0.1.utf8)) } + extra)
    }

    @Test func mapsTheWellKnownFieldsAndKeepsTheRest() {
        let source = entry([
            ("_UID", "0"), ("MESSAGE", "Accepted publickey"), ("_BOOT_ID", "b00"), ("_TRANSPORT", "syslog"),
            ("_COMM", "sshd"), ("_HOSTNAME", "box"), ("_PID", "4242"), ("SYSLOG_FACILITY", "4"),
            ("SYSLOG_IDENTIFIER", "sshd"), ("PRIORITY", "6"), ("_SYSTEMD_UNIT", "ssh.service"), ("CODE_FILE", "auth.c"),
        ])
        let event = source.logEvent(host: "web-1", labels: ["env": "prod"])
        #expect(event == LogEvent(
            timestamp: Timestamp(nanosecondsSinceEpoch: 1_750_000_000_123_456_000), host: "web-1", source: "journald",
            message: Array("Accepted publickey".utf8),
            fields: [
                LogField("unit", .string("ssh.service")), LogField("priority", .int(6)),
                LogField("syslog_identifier", .string("sshd")), LogField("facility", .int(4)),
                LogField("pid", .int(4242)), LogField("hostname", .string("box")), LogField("comm", .string("sshd")),
                LogField("transport", .string("syslog")), LogField("boot_id", .string("b00")),
                LogField("_UID", .bytes(Array("0".utf8))), LogField("CODE_FILE", .bytes(Array("auth.c".utf8))),
                LogField("cursor", .string("s=1;i=2")),
            ],
            labels: ["env": "prod"]))
    }

    @Test func binaryValuesAndOddNumbersStayBytes() {
        let binary: [UInt8] = [0x6F, 0x6B, 0x0A, 0x00, 0xFF]
        let event = entry([("PRIORITY", "warn"), ("_PID", "12a"), ("SYSLOG_FACILITY", "")],
                          extra: [(name: "MESSAGE", value: binary), (name: "_COMM", value: [0xC3, 0x28])])
            .logEvent(host: "h", labels: Labels())
        #expect(event.message == binary)
        #expect(event.fields.prefix(4) == [
            LogField("priority", .bytes(Array("warn".utf8))), LogField("facility", .bytes([])),
            LogField("pid", .bytes(Array("12a".utf8))), LogField("comm", .bytes([0xC3, 0x28])),
        ])
        let json = String(decoding: event.encodeJSON(), as: UTF8.self)
        #expect(json.contains(#""message":"ok\n\u0000\\xff""#) || json.contains(#""message":"ok\n\u0000\xff""#))
        #expect(json.hasSuffix(#","invalid_utf8":true}"#))
    }

    @Test func aRepeatedFieldKeepsEveryValue() {
        let event = entry([("MESSAGE", "one"), ("MESSAGE", "two"), ("TAG", "a"), ("TAG", "b"), ("PRIORITY", "3"), ("PRIORITY", "4")])
            .logEvent(host: "h", labels: Labels())
        #expect(event.message == Array("one".utf8))
        #expect(event.fields == [
            LogField("priority", .int(3)),
            LogField("MESSAGE", .bytes(Array("two".utf8))), LogField("TAG", .bytes(Array("a".utf8))),
            LogField("TAG", .bytes(Array("b".utf8))), LogField("PRIORITY", .bytes(Array("4".utf8))),
            LogField("cursor", .string("s=1;i=2")),
        ])
    }

    @Test func anEntryWithoutMessageHasAnEmptyOne() {
        let event = entry([("_HOSTNAME", "box")]).logEvent(host: "h", labels: Labels())
        #expect(event.message.isEmpty)
        #expect(event.fields == [LogField("hostname", .string("box")), LogField("cursor", .string("s=1;i=2"))])
    }
}
