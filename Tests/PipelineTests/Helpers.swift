import Pipeline
import SluiceModel
import Testing

/// `2026-11-22T06:16:27Z`, the instant most samples are written at.
let sampleSecond: Int64 = 1_795_328_187
/// The reference instant for RFC 3164 years: later the same day.
let sampleNow = at("2026-11-22T12:00:00Z")

func at(_ rfc3339: String) -> Timestamp {
    guard let timestamp = Timestamp(rfc3339: rfc3339) else { fatalError("bad test timestamp \(rfc3339)") }
    return timestamp
}

/// Parses with `parser` and fails the test on nil.
func parsed(_ parser: some LogParser, _ line: String, now: Timestamp = sampleNow,
            sourceLocation: SourceLocation = #_sourceLocation) throws -> ParseResult {
    try #require(parser.parse(line, now: now), "did not parse: \(line)", sourceLocation: sourceLocation)
}

/// A small seeded generator, so a failing fuzz case can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Real-world lines of every format, as the programs named write them.
enum Samples {
    static let json: [String] = [
        // zap production encoder
        #"{"level":"info","ts":1795328187.123456,"caller":"server/main.go:42","msg":"listening","addr":":8080"}"#,
        // logrus JSONFormatter (keys sorted)
        #"{"free_bytes":1073741824,"level":"warning","msg":"disk almost full","path":"/var/lib/sluice","time":"2026-11-22T06:16:27Z"}"#,
        // log/slog JSONHandler with a group and a slice
        #"{"time":"2026-11-22T07:16:27.123456789+01:00","level":"WARN","msg":"slow query","query":{"table":"orders","duration_ms":1500,"rows":[1,2,{"x":null}]},"cached":false,"trace":null}"#,
        // pino
        #"{"level":30,"time":1795328187123,"pid":4242,"hostname":"api-1","req":{"id":1,"method":"GET","url":"/health"},"msg":"request completed","responseTime":3.5}"#,
        // logstash-logback-encoder: a Java exception as one event
        #"{"@timestamp":"2026-11-22T06:16:27.123+00:00","@version":"1","message":"Charge failed","logger_name":"com.example.billing.ChargeService","thread_name":"http-nio-8080-exec-1","level":"ERROR","level_value":40000,"stack_trace":"java.lang.IllegalStateException: card declined\n\tat com.example.billing.ChargeService.charge(ChargeService.java:42)\n"}"#,
    ]
    static let logfmt: [String] = [
        // Prometheus / go-kit log
        #"ts=2026-11-22T06:16:27.123Z caller=main.go:1150 level=info msg="Server is ready to receive web requests.""#,
        // logrus TextFormatter
        #"time="2026-11-22T06:16:27Z" level=warning msg="disk almost full" path=/var/lib/sluice free=1.2GB"#,
        // Heroku router
        #"at=info method=GET path="/api/orders?id=7" host=shop.herokuapp.com request_id=8601b555-6a22-4a5d-b8a4-0e8a6a5c2b1f fwd="203.0.113.7" dyno=web.1 connect=0ms service=14ms status=200 bytes=1548 protocol=https"#,
        // log/slog TextHandler
        #"time=2026-11-22T07:16:27.000+01:00 level=ERROR msg="upstream failed" err="dial tcp 10.0.0.7:5432: connect: connection refused" retry=true attempt=3"#,
    ]
    static let syslog5424: [String] = [
        // RFC 5424 §6.5, examples 1–4
        "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{FEFF}'su root' failed for lonvick on /dev/pts/8",
        "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] "# + "\u{FEFF}An application event log entry...",
        #"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]"#,
        // rsyslog RSYSLOG_SyslogProtocol23Format
        "<86>1 2026-11-22T06:16:27.123456+00:00 web-1 sshd 4242 - - Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2: ED25519 SHA256:Zm9vYmFy",
        // syslog-ng syslog() driver, with its meta SD element
        #"<30>1 2026-11-22T06:16:27+00:00 web-1 nginx 812 - [meta sequenceId="17" sysUpTime="42"] worker process 815 exited on signal 9"#,
    ]
    static let syslog3164: [String] = [
        // rsyslog RSYSLOG_TraditionalFileFormat (/var/log/syslog, auth.log)
        "Nov 22 06:16:27 web-1 sshd[123]: Accepted publickey for deploy from 10.0.0.5 port 51234 ssh2",
        "Nov  2 06:16:27 web-1 kernel: [ 1234.567890] eth0: Link is Up - 1Gbps/Full",
        "Nov 22 06:17:01 web-1 CRON[2345]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
        "Nov 22 06:16:28 mail-1 postfix/smtpd[8812]: connect from unknown[203.0.113.50]",
        // BSD syslog on the wire (syslog-ng network() / RFC 3164 §5.4 example)
        "<38>Nov 22 06:16:27 web-1 sshd[123]: Failed password for invalid user admin from 203.0.113.9 port 40022 ssh2",
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        // rsyslog RSYSLOG_FileFormat (high precision) and RSYSLOG_ForwardFormat
        "2026-11-22T06:16:27.123456+00:00 web-1 sshd[123]: Accepted publickey for deploy",
        "<29>2026-11-22T07:16:27.5+01:00 web-1 systemd[1]: Started Session 42 of User deploy.",
    ]
    static let combined: [String] = [
        // nginx default combined
        #"203.0.113.7 - - [22/Nov/2026:06:16:27 +0000] "GET /api/orders?id=7 HTTP/1.1" 200 1548 "https://shop.example.com/cart" "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0""#,
        #"10.0.0.5 - alice [22/Nov/2026:07:16:27 +0100] "POST /login HTTP/2.0" 302 0 "-" "curl/8.5.0""#,
        // nginx's 400 for TLS on a plain port
        #"198.51.100.23 - - [22/Nov/2026:06:16:27 +0000] "\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03" 400 157 "-" "-""#,
        // nginx stock "main" format: combined plus X-Forwarded-For
        #"10.0.0.9 - - [22/Nov/2026:06:16:27 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0" "198.51.100.1, 10.0.0.1""#,
        // Apache combined (httpd docs example)
        #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#,
    ]
    static let common: [String] = [
        // Apache common (httpd docs example)
        #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#,
        #"192.0.2.44 - - [22/Nov/2026:06:16:27 +0000] "HEAD /healthz HTTP/1.1" 204 -"#,
    ]

    static let javaTrace = """
        java.lang.IllegalStateException: card declined
        \tat com.example.billing.ChargeService.charge(ChargeService.java:42)
        \tat com.example.billing.BillingController.pay(BillingController.java:17)
        Caused by: java.net.SocketTimeoutException: Read timed out
        \tat java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)
        \t... 12 more
        """

    static var all: [(String, LogFormat)] {
        json.map { ($0, .json) } + logfmt.map { ($0, .logfmt) } + syslog5424.map { ($0, .syslog5424) }
            + syslog3164.map { ($0, .syslog3164) } + combined.map { ($0, .nginxCombined) }
            + common.map { ($0, .commonLog) }
    }
}
