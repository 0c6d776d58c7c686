import Pipeline
import SluiceModel
import Testing

@Suite struct Syslog5424ParserTests {
    let parser = Syslog5424Parser()

    @Test func rfcExample1WithBOM() throws {
        let result = try parsed(parser, Samples.syslog5424[0])
        #expect(result.format == .syslog5424)
        #expect(result.fields == ["facility": "auth", "severity": "crit", "hostname": "mymachine.example.com",
                                  "appname": "su", "msgid": "ID47"])
        #expect(result.timestamp == at("2003-10-11T22:14:15.003Z"))
        #expect(result.message == "'su root' failed for lonvick on /dev/pts/8")
        #expect(result.level == .critical)
    }

    @Test func rfcExample2() throws {
        let result = try parsed(parser, Samples.syslog5424[1])
        #expect(result.fields == ["facility": "local4", "severity": "notice", "hostname": "192.0.2.1",
                                  "appname": "myproc", "procid": "8710"])
        #expect(result.timestamp == Timestamp(nanosecondsSinceEpoch: 1_061_727_255_000_003_000))
        #expect(result.message == "%% It's time to make the do-nuts.")
        #expect(result.level == .info)
    }

    @Test func rfcExample3StructuredData() throws {
        let result = try parsed(parser, Samples.syslog5424[2])
        #expect(result.fields == ["facility": "local4", "severity": "notice", "hostname": "mymachine.example.com",
                                  "appname": "evntslog", "msgid": "ID47", "sd.exampleSDID@32473.iut": "3",
                                  "sd.exampleSDID@32473.eventSource": "Application",
                                  "sd.exampleSDID@32473.eventID": "1011"])
        #expect(result.message == "An application event log entry...")
    }

    @Test func rfcExample4TwoElementsNoMessage() throws {
        let result = try parsed(parser, Samples.syslog5424[3])
        #expect(result.fields["sd.examplePriority@32473.class"] == "high")
        #expect(result.fields.count == 9)
        #expect(result.message == nil)
    }

    @Test func rsyslogProtocol23Format() throws {
        let result = try parsed(parser, Samples.syslog5424[4])
        #expect(result.fields == ["facility": "authpriv", "severity": "info", "hostname": "web-1",
                                  "appname": "sshd", "procid": "4242"])
        #expect(result.timestamp == Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 123_456_000))
        #expect(result.message == "Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2: ED25519 SHA256:Zm9vYmFy")
        #expect(result.level == .info)
    }

    @Test func syslogNGMetaElement() throws {
        let result = try parsed(parser, Samples.syslog5424[5])
        #expect(result.fields == ["facility": "daemon", "severity": "info", "hostname": "web-1", "appname": "nginx",
                                  "procid": "812", "sd.meta.sequenceId": "17", "sd.meta.sysUpTime": "42"])
        #expect(result.timestamp == at("2026-11-22T06:16:27Z"))
        #expect(result.message == "worker process 815 exited on signal 9")
    }

    @Test func escapedParamValuesAndNilTimestamp() throws {
        let result = try parsed(parser, #"<14>1 - - - - - [origin software="a \"b\" \]c\\" ip="10.0.0.5"] hi"#)
        #expect(result.fields == ["facility": "user", "severity": "info", "sd.origin.software": #"a "b" ]c\"#,
                                  "sd.origin.ip": "10.0.0.5"])
        #expect(result.timestamp == nil)
        #expect(result.message == "hi")
    }

    @Test func javaTraceAsMultiLineMessage() throws {
        let result = try parsed(parser, "<11>1 2026-11-22T06:16:27.123Z app-1 billing 4242 - - Charge failed\n" + Samples.javaTrace)
        #expect(result.level == .error)
        #expect(result.fields["appname"] == "billing")
        #expect(result.message == "Charge failed\n" + Samples.javaTrace)
    }

    @Test(arguments: [
        "<34>1 2003-10-11 host app - - - msg", "<192>1 2003-10-11T22:14:15Z h a - - - m", "<34>0 - - - - - -",
        "<34>1 - h a p", "<34>1 - h a p m [x", #"<34>1 - h a p m [x a="1"x"#, "<34>1 - h a p m -x", "<034>1 - - - - - -",
        "34>1 - - - - - -", "<>1 - - - - - -",
    ])
    func rejects(_ line: String) {
        #expect(parser.parse(line, now: sampleNow) == nil)
    }
}

@Suite struct Syslog3164ParserTests {
    let parser = Syslog3164Parser()

    @Test func rsyslogTraditionalFile() throws {
        let result = try parsed(parser, Samples.syslog3164[0])
        #expect(result.format == .syslog3164)
        #expect(result.fields == ["hostname": "web-1", "appname": "sshd", "procid": "123"])
        #expect(result.timestamp == at("2026-11-22T06:16:27Z"))
        #expect(result.message == "Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2")
        #expect(result.level == nil)
    }

    @Test func spacePaddedDayAndTagWithoutPID() throws {
        let result = try parsed(parser, Samples.syslog3164[1])
        #expect(result.fields == ["hostname": "web-1", "appname": "kernel"])
        #expect(result.timestamp == at("2026-11-02T06:16:27Z"))
        #expect(result.message == "[ 1234.567890] eth0: Link is Up - 1Gbps/Full")
    }

    @Test func cronAndPostfix() throws {
        let cron = try parsed(parser, Samples.syslog3164[2])
        #expect(cron.fields == ["hostname": "web-1", "appname": "CRON", "procid": "2345"])
        #expect(cron.message == "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)")
        let postfix = try parsed(parser, Samples.syslog3164[3])
        #expect(postfix.fields == ["hostname": "mail-1", "appname": "postfix/smtpd", "procid": "8812"])
        #expect(postfix.message == "connect from unknown[203.0.113.50]")
    }

    @Test func onTheWireWithPriority() throws {
        let result = try parsed(parser, Samples.syslog3164[4])
        #expect(result.fields == ["facility": "auth", "severity": "info", "hostname": "web-1", "appname": "sshd",
                                  "procid": "123"])
        #expect(result.level == .info)
        let rfc = try parsed(parser, Samples.syslog3164[5])
        #expect(rfc.fields == ["facility": "auth", "severity": "crit", "hostname": "mymachine", "appname": "su"])
        #expect(rfc.timestamp == at("2026-10-11T22:14:15Z"))
        #expect(rfc.message == "'su root' failed for lonvick on /dev/pts/8")
        #expect(rfc.level == .critical)
    }

    @Test func rsyslogHighPrecisionFormats() throws {
        let file = try parsed(parser, Samples.syslog3164[6])
        #expect(file.fields == ["hostname": "web-1", "appname": "sshd", "procid": "123"])
        #expect(file.timestamp == Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 123_456_000))
        let forward = try parsed(parser, Samples.syslog3164[7])
        #expect(forward.fields == ["facility": "daemon", "severity": "notice", "hostname": "web-1",
                                   "appname": "systemd", "procid": "1"])
        #expect(forward.timestamp == Timestamp(nanosecondsSinceEpoch: sampleSecond * 1_000_000_000 + 500_000_000))
        #expect(forward.message == "Started Session 42 of User deploy.")
        #expect(forward.level == .info)
    }

    @Test func localMessageWithoutHostAndPriorityWithoutTag() throws {
        let local = try parsed(parser, "<13>Nov 22 06:16:27 deploy: release 42 done")
        #expect(local.fields == ["facility": "user", "severity": "notice", "appname": "deploy"])
        #expect(local.message == "release 42 done")
        let untagged = try parsed(parser, "<13>Nov 22 06:16:27 web-1 hello world")
        #expect(untagged.fields == ["facility": "user", "severity": "notice", "hostname": "web-1"])
        #expect(untagged.message == "hello world")
    }

    @Test func yearIsTheOneAtMostADayAhead() throws {
        let newYear = try parsed(parser, "Dec 31 23:59:50 h app: x", now: at("2027-01-01T00:00:10Z"))
        #expect(newYear.timestamp == at("2026-12-31T23:59:50Z"))
        let skewed = try parsed(parser, "Jan  1 00:00:05 h app: x", now: at("2026-12-31T23:59:50Z"))
        #expect(skewed.timestamp == at("2027-01-01T00:00:05Z"))
        let lastYear = try parsed(parser, "Nov 22 06:16:27 h app: x", now: at("2027-03-01T00:00:00Z"))
        #expect(lastYear.timestamp == at("2026-11-22T06:16:27Z"))
        let tomorrow = try parsed(parser, "Nov 23 06:16:27 h app: x", now: sampleNow)
        #expect(tomorrow.timestamp == at("2026-11-23T06:16:27Z"))
        let pastTomorrow = try parsed(parser, "Nov 24 06:16:27 h app: x", now: sampleNow)
        #expect(pastTomorrow.timestamp == at("2025-11-24T06:16:27Z"))
    }

    @Test func javaTraceAsMultiLineMessage() throws {
        let line = "Nov 22 06:16:27 app-1 java[4242]: ERROR c.e.b.ChargeService - Charge failed\n" + Samples.javaTrace
        let result = try parsed(parser, line)
        #expect(result.fields == ["hostname": "app-1", "appname": "java", "procid": "4242"])
        #expect(result.message == "ERROR c.e.b.ChargeService - Charge failed\n" + Samples.javaTrace)
    }

    @Test(arguments: [
        "Nov 22 06:16:27 web-1 hello world", "Foo 22 06:16:27 web-1 a: b", "Nov 32 06:16:27 web-1 a: b",
        "Nov 22 25:16:27 web-1 a: b", "Nov 22 06:16 web-1 a: b", "2026-11-22 06:16:27.123 ERROR 1 --- [main] x : y",
        "2026-11-22T06:16:27.123Z ERROR 4242 --- [main] c.e.App : Started", "<13>", "<13>Nov 22 06:16:27",
    ])
    func rejects(_ line: String) {
        #expect(parser.parse(line, now: sampleNow) == nil)
    }
}
