import Glibc

/// A small blocking HTTP/1.1 client for notifications: one connection per request
/// (`Connection: close`), `http://` only, IPv4 and IPv6 through getaddrinfo, a timeout
/// on connect and on each read and write. Enough for webhooks and Alertmanager on a
/// trusted network, without pulling an HTTP stack into the alerting target.
public struct HTTPPostClient: NotificationTransport {
    /// The largest answer read (the status matters; bodies are only kept for errors).
    public var maximumResponseBytes = 1 << 20

    public init() {}

    /// `http://host:port/path?query` split; the port defaults to 80.
    struct Target: Equatable {
        var host: String
        var port: UInt16
        var path: String

        init(_ url: String) throws(NotificationTransportError) {
            guard url.hasPrefix("http://") else {
                throw NotificationTransportError("unsupported URL \(url): only http:// is supported")
            }
            let rest = url.dropFirst("http://".count)
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            var path = String(rest.dropFirst(authority.count))
            if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
            var host = Substring(authority)
            var port: UInt16 = 80
            if host.hasPrefix("[") {
                guard let close = host.firstIndex(of: "]") else { throw NotificationTransportError("bad IPv6 address in \(url)") }
                let after = host[host.index(after: close)...]
                host = host[host.index(after: host.startIndex)..<close]
                if after.hasPrefix(":") {
                    guard let value = UInt16(after.dropFirst()) else { throw NotificationTransportError("bad port in \(url)") }
                    port = value
                }
            } else if let colon = host.lastIndex(of: ":") {
                guard let value = UInt16(host[host.index(after: colon)...]) else {
                    throw NotificationTransportError("bad port in \(url)")
                }
                port = value
                host = host[..<colon]
            }
            guard !host.isEmpty else { throw NotificationTransportError("no host in \(url)") }
            self.host = String(host)
            self.port = port
            self.path = path
        }
    }

    public func post(_ request: NotificationRequest) throws -> NotificationResponse {
        let target = try Target(request.url)
        let socket = try connect(to: target, timeoutMilliseconds: request.timeoutMilliseconds)
        defer { close(socket) }
        var timeout = timeval(tv_sec: Int(request.timeoutMilliseconds / 1000),
                              tv_usec: Int(request.timeoutMilliseconds % 1000) * 1000)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let hostHeader = target.host.contains(":") ? "[\(target.host)]" : target.host
        let head = "POST \(target.path) HTTP/1.1\r\nHost: \(hostHeader):\(target.port)\r\n"
            + "User-Agent: Sluice-Alerting\r\nContent-Type: \(request.contentType)\r\n"
            + "Content-Length: \(request.body.count)\r\nConnection: close\r\n\r\n"
        try send(Array(head.utf8) + request.body, on: socket)
        return try receive(on: socket)
    }

    private func connect(to target: Target, timeoutMilliseconds: Int64) throws(NotificationTransportError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard status == 0, let first = list else {
            throw NotificationTransportError("cannot resolve \(target.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            entry = current.pointee.ai_next
            let socket = Glibc.socket(current.pointee.ai_family, current.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
                                      current.pointee.ai_protocol)
            guard socket >= 0 else { lastError = String(cString: strerror(errno)); continue }
            // Non-blocking connect, so the timeout applies; then back to blocking.
            let flags = fcntl(socket, F_GETFL)
            _ = fcntl(socket, F_SETFL, flags | O_NONBLOCK)
            var result = Glibc.connect(socket, current.pointee.ai_addr, current.pointee.ai_addrlen)
            if result != 0, errno == EINPROGRESS {
                var poller = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&poller, 1, Int32(clamping: timeoutMilliseconds))
                if ready == 1 {
                    var socketError: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(socket, SOL_SOCKET, SO_ERROR, &socketError, &length)
                    result = socketError == 0 ? 0 : -1
                    if socketError != 0 { lastError = String(cString: strerror(socketError)) }
                } else {
                    lastError = ready == 0 ? "connect timed out after \(timeoutMilliseconds) ms" : String(cString: strerror(errno))
                    result = -1
                }
            } else if result != 0 {
                lastError = String(cString: strerror(errno))
            }
            if result == 0 {
                _ = fcntl(socket, F_SETFL, flags)
                return socket
            }
            close(socket)
        }
        throw NotificationTransportError("cannot connect to \(target.host):\(target.port): \(lastError)")
    }

    private func send(_ bytes: [UInt8], on socket: Int32) throws(NotificationTransportError) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.send(socket, buffer.baseAddress.map { $0 + sent }, buffer.count - sent, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw NotificationTransportError(errno == EAGAIN ? "write timed out" : "write failed: \(String(cString: strerror(errno)))")
            }
            sent += count
        }
    }

    /// Reads the status line, headers and body (by Content-Length, chunked, or to EOF).
    private func receive(on socket: Int32) throws(NotificationTransportError) -> NotificationResponse {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var headerEnd: Int?
        var expectedLength: Int?
        var chunked = false
        var status = 0
        while true {
            if let end = headerEnd {
                let body = buffer.count - end
                if let expectedLength, body >= expectedLength { break }
                if chunked, let decoded = Self.dechunk(buffer[end...]) { return NotificationResponse(status: status, body: decoded) }
                if buffer.count > maximumResponseBytes { break }
            }
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw NotificationTransportError(errno == EAGAIN ? "read timed out" : "read failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            buffer.append(contentsOf: chunk[..<count])
            if headerEnd == nil, let end = Self.find([13, 10, 13, 10], in: buffer) {
                headerEnd = end + 4
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
                let statusParts = lines.first?.split(separator: " ") ?? []
                guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let code = Int(statusParts[1]) else {
                    throw NotificationTransportError("malformed HTTP status line: \(lines.first ?? "")")
                }
                status = code
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let name = line[..<colon].lowercased()
                    let value = line[line.index(after: colon)...].trimmingPrefix(" ")
                    if name == "content-length" { expectedLength = Int(value) }
                    if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
                }
            } else if headerEnd == nil, buffer.count > 65_536 {
                throw NotificationTransportError("HTTP header too long")
            }
        }
        guard let end = headerEnd else { throw NotificationTransportError("connection closed before an HTTP answer") }
        var body = Array(buffer[end...])
        if let expectedLength, body.count > expectedLength { body.removeLast(body.count - expectedLength) }
        return NotificationResponse(status: status, body: body)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }

    /// The body of a complete chunked message, or nil while more is needed.
    static func dechunk(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var body: [UInt8] = []
        var index = bytes.startIndex
        while true {
            guard let lineEnd = find([13, 10], in: Array(bytes[index...])).map({ index + $0 }) else { return nil }
            let sizeText = String(decoding: bytes[index..<lineEnd], as: UTF8.self).prefix { $0 != ";" }
            guard let size = Int(sizeText, radix: 16) else { return body }
            index = lineEnd + 2
            if size == 0 { return body }
            guard bytes.endIndex - index >= size + 2 else { return nil }
            body.append(contentsOf: bytes[index..<(index + size)])
            index += size + 2
        }
    }
}
