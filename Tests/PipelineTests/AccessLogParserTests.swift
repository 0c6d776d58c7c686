import Pipeline
import SluiceModel
import Testing

@Suite struct AccessLogParserTests {
    let parser = AccessLogParser()

    @Test func nginxCombined() throws {
        let result = try parsed(parser, Samples.combined[0])
        #expect(result.format == .nginxCombined)
        #expect(result.fields == ["remote_addr": "203.0.113.7", "time": "22/Nov/2026:06:16:27 +0000", "method": "GET",
                                  "path": "/api/orders?id=7", "protocol": "HTTP/1.1", "status": 200,
                                  "body_bytes_sent": 1548, "http_referer": "https://shop.example.com/cart",
                                  "http_user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"])
        #expect(result.timestamp == at("2026-11-22T06:16:27Z"))
        #expect(result.message == nil)
        #expect(result.level == nil)
    }

    @Test func userZeroBytesNoReferer() throws {
        let result = try parsed(parser, Samples.combined[1])
        #expect(result.fields == ["remote_addr": "10.0.0.5", "remote_user": "alice", "time": "22/Nov/2026:07:16:27 +0100",
                                  "method": "POST", "path": "/login", "protocol": "HTTP/2.0", "status": 302,
                                  "body_bytes_sent": 0, "http_user_agent": "curl/8.5.0"])
        #expect(result.timestamp == at("2026-11-22T06:16:27Z"))
    }

    @Test func garbageRequestLineIsKeptWhole() throws {
        let result = try parsed(parser, Samples.combined[2])
        #expect(result.fields == ["remote_addr": "198.51.100.23", "time": "22/Nov/2026:06:16:27 +0000",
                                  "request": #"\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03"#, "status": 400,
                                  "body_bytes_sent": 157])
    }

    @Test func nginxMainFormatWithForwardedFor() throws {
        let result = try parsed(parser, Samples.combined[3])
        #expect(result.format == .nginxCombined)
        #expect(result.fields["http_x_forwarded_for"] == "198.51.100.1, 10.0.0.1")
        #expect(result.fields["path"] == "/")
    }

    @Test func apacheCombinedAndCommon() throws {
        let combined = try parsed(parser, Samples.combined[4])
        #expect(combined.fields == ["remote_addr": "127.0.0.1", "remote_user": "frank", "time": "10/Oct/2000:13:55:36 -0700",
                                    "method": "GET", "path": "/apache_pb.gif", "protocol": "HTTP/1.0", "status": 200,
                                    "body_bytes_sent": 2326, "http_referer": "http://www.example.com/start.html",
                                    "http_user_agent": "Mozilla/4.08 [en] (Win98; I ;Nav)"])
        #expect(combined.timestamp == at("2000-10-10T20:55:36Z"))
        let common = try parsed(parser, Samples.common[0])
        #expect(common.format == .commonLog)
        #expect(common.fields == ["remote_addr": "127.0.0.1", "remote_user": "frank", "time": "10/Oct/2000:13:55:36 -0700",
                                  "method": "GET", "path": "/apache_pb.gif", "protocol": "HTTP/1.0", "status": 200,
                                  "body_bytes_sent": 2326])
        #expect(common.timestamp == at("2000-10-10T20:55:36Z"))
        let noBody = try parsed(parser, Samples.common[1])
        #expect(noBody.fields["body_bytes_sent"] == 0)
        #expect(noBody.fields["status"] == 204)
    }

    @Test func apacheEscapedQuotes() throws {
        let line = #"192.0.2.1 - - [22/Nov/2026:06:16:27 +0000] "GET /q?x=\"1\" HTTP/1.1" 200 5 "-" "Mozilla \"evil\" \\o/""#
        let result = try parsed(parser, line)
        #expect(result.fields["path"] == #"/q?x="1""#)
        #expect(result.fields["http_user_agent"] == #"Mozilla "evil" \o/"#)
    }

    @Test(arguments: [
        #"203.0.113.7 - - [22/Nov/2026:06:16:27] "GET / HTTP/1.1" 200 1"#,
        #"203.0.113.7 - - [22/Nov/2026:06:16:27 +0000] "GET / HTTP/1.1" 2000 1"#,
        #"203.0.113.7 - - [22/Nov/2026:06:16:27 +0000] "GET / HTTP/1.1" 200 x1"#,
        #"203.0.113.7 - - [22/Foo/2026:06:16:27 +0000] "GET / HTTP/1.1" 200 1"#,
        #"203.0.113.7 - - [22/Nov/2026:06:16:27 +0000] "GET / HTTP/1.1 200 1"#,
        #"203.0.113.7 - - [22/Nov/2026:06:16:27 +0000] "GET / HTTP/1.1" 200 1 "ref""#,
        #"203.0.113.7 - - [22/Nov/2026:06:16:27 +0000] "GET / HTTP/1.1" 200 1 "a" "b" "c" "d""#,
        "203.0.113.7 - -",
    ])
    func rejects(_ line: String) {
        #expect(parser.parse(line, now: sampleNow) == nil)
    }
}
