import Foundation
import Glibc
import Testing
@testable import Alerting

/// The socket client against a real listener started here.
@Suite struct HTTPPostClientTests {
    /// A one-connection-at-a-time HTTP server on 127.0.0.1 that records requests and
    /// answers each with `answer` (or, with `silent`, reads and never answers).
    final class TinyServer: @unchecked Sendable {
        let listener: Int32
        let port: UInt16
        private let lock = NSLock()
        private var received: [String] = []
        private var bodies: [[UInt8]] = []
        let answer: String
        let silent: Bool

        init(answer: String, silent: Bool = false) throws {
            self.answer = answer
            self.silent = silent
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
            }
            guard bound == 0, listen(descriptor, 8) == 0 else { throw NotificationTransportError("cannot listen") }
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            listener = descriptor
            port = UInt16(bigEndian: address.sin_port)
            Thread.detachNewThread { [self] in serve() }
        }

        var requests: [String] { lock.withLock { received } }
        var requestBodies: [[UInt8]] { lock.withLock { bodies } }

        private func serve() {
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }
                var data: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let count = recv(connection, &buffer, buffer.count, 0)
                    if count <= 0 { break }
                    data += buffer[..<count]
                    let text = String(decoding: data, as: UTF8.self)
                    if let headEnd = text.range(of: "\r\n\r\n") {
                        let head = String(text[..<headEnd.lowerBound])
                        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                        let bodyStart = data.count - text[headEnd.upperBound...].utf8.count
                        if data.count - bodyStart >= length {
                            lock.withLock {
                                received.append(head)
                                bodies.append(Array(data[bodyStart...]))
                            }
                            break
                        }
                    }
                }
                if silent {
                    Thread.sleep(forTimeInterval: 1)
                } else {
                    _ = answer.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                }
                close(connection)
            }
        }

        deinit {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    @Test func postsAndReadsTheAnswer() throws {
        let server = try TinyServer(answer: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
        let body = Array("{\"status\":\"firing\"}".utf8)
        let response = try HTTPPostClient().post(NotificationRequest(url: "http://127.0.0.1:\(server.port)/hook?x=1", body: body))
        #expect(response == NotificationResponse(status: 200, body: Array("ok".utf8)))
        let head = try #require(server.requests.first)
        #expect(head.hasPrefix("POST /hook?x=1 HTTP/1.1\r\n"))
        #expect(head.contains("Host: 127.0.0.1:\(server.port)"))
        #expect(head.contains("Content-Type: application/json"))
        #expect(head.contains("Content-Length: \(body.count)"))
        #expect(server.requestBodies == [body])
    }

    @Test func readsChunkedAndErrorAnswers() throws {
        let chunked = try TinyServer(answer: "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbusy\r\n0\r\n\r\n")
        let response = try HTTPPostClient().post(NotificationRequest(url: "http://127.0.0.1:\(chunked.port)/", body: []))
        #expect(response == NotificationResponse(status: 503, body: Array("busy".utf8)))
        let closing = try TinyServer(answer: "HTTP/1.0 204 No Content\r\n\r\n")
        #expect(try HTTPPostClient().post(NotificationRequest(url: "http://localhost:\(closing.port)", body: [1])).status == 204)
    }

    @Test func refusedConnectionAndTimeoutAreErrors() throws {
        // A port bound and closed without listening: nothing answers there.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) == 0 ? getsockname(probe, $0, &length) : -1 }
        }
        close(probe)
        let port = UInt16(bigEndian: address.sin_port)
        let refused = #expect(throws: NotificationTransportError.self) {
            try HTTPPostClient().post(NotificationRequest(url: "http://127.0.0.1:\(port)/", body: []))
        }
        #expect(refused?.message.contains("Connection refused") == true)
        let silent = try TinyServer(answer: "", silent: true)
        let start = ContinuousClock.now
        #expect(throws: NotificationTransportError("read timed out")) {
            try HTTPPostClient().post(NotificationRequest(url: "http://127.0.0.1:\(silent.port)/", body: [], timeoutMilliseconds: 200))
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(throws: NotificationTransportError.self) {
            try HTTPPostClient().post(NotificationRequest(url: "https://example.net/", body: []))
        }
    }

    @Test func deliveryThreadDeliversToARealListener() throws {
        let server = try TinyServer(answer: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        let delivery = ReceiverDelivery(name: "hook", url: "http://127.0.0.1:\(server.port)/alerts", policy: RetryPolicy(),
                                        transport: HTTPPostClient(), clock: SystemAlertingClock(), deadLetters: { _ in })
        delivery.start()
        defer { delivery.stop() }
        delivery.enqueue(Array("one".utf8))
        delivery.enqueue(Array("two".utf8))
        let deadline = ContinuousClock.now + .seconds(10)
        while server.requestBodies.count < 2, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(server.requestBodies == [Array("one".utf8), Array("two".utf8)])
    }
}
