import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension HTTPClient {
    /// POSTs `body` and hands a 200 response's body over line by line as it arrives
    /// (NDJSON streams such as replay's); any other status's body is collected and
    /// returned whole, for its error message.
    func postStreamingLines(_ path: String, body: [UInt8], contentType: String,
                            onLine: ([UInt8]) throws -> Void) throws -> (status: Int, body: [UInt8]) {
        let socket = try connect()
        defer { close(socket) }
        let head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nAccept: application/x-ndjson\r\nConnection: close\r\nUser-Agent: sluice-cli\r\n\r\n"
        try sendAll(socket, Array(head.utf8) + body)

        var received: [UInt8] = []
        var status: Int?
        var chunked = false
        var decoder = ChunkedBodyDecoder()
        var errorBody: [UInt8] = []
        var pending: [UInt8] = []  // body bytes not yet ending in a newline
        var buffer = [UInt8](repeating: 0, count: 65536)
        func deliver(_ bytes: ArraySlice<UInt8>) throws {
            guard status == 200 else {
                errorBody.append(contentsOf: bytes)
                return
            }
            pending.append(contentsOf: bytes)
            var start = 0
            while let newline = pending[start...].firstIndex(of: 10) {
                try onLine(Array(pending[start..<newline]))
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress!, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw Failure(description: "cannot read from \(host):\(port): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            var fresh = buffer[0..<count]
            if status == nil {
                received.append(contentsOf: fresh)
                let separator: [UInt8] = [13, 10, 13, 10]
                guard let end = received.indices.first(where: { received[$0...].starts(with: separator) }) else { continue }
                let parsed = try Self.parse(Array(received[..<(end + 4)]))
                status = parsed.status
                chunked = parsed.headers.contains { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }
                fresh = received[(end + 4)...]
            }
            if chunked {
                var out: [UInt8] = []
                let finished = try decoder.feed(fresh, into: &out)
                try deliver(out[...])
                if finished { break }
            } else {
                try deliver(fresh)
            }
        }
        guard let status else { throw Failure(description: "the connection closed before a response") }
        if status == 200, !pending.isEmpty { try onLine(pending) }
        return (status, errorBody)
    }

    private func sendAll(_ socket: Int32, _ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw Failure(description: "cannot send to \(host):\(port): \(String(cString: strerror(errno)))") }
            sent += count
        }
    }
}

/// HTTP/1.1 chunked transfer coding, decoded as bytes arrive: `size CRLF data CRLF`…
/// `0 CRLF CRLF` (trailers are skipped).
struct ChunkedBodyDecoder {
    private enum State {
        case size, data, dataEnd, trailer, done
    }

    private var state = State.size
    private var line: [UInt8] = []
    private var remaining = 0

    /// Appends the data in `bytes` to `out`; true once the last chunk has been read.
    mutating func feed(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) throws -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            switch state {
            case .size, .dataEnd, .trailer:
                let byte = bytes[index]
                index += 1
                guard byte == 10 else {
                    if byte != 13 { line.append(byte) }
                    continue
                }
                defer { line.removeAll(keepingCapacity: true) }
                if state == .dataEnd {
                    state = .size
                } else if state == .trailer {
                    if line.isEmpty { state = .done }
                } else {
                    let text = String(decoding: line, as: UTF8.self).split(separator: ";").first ?? ""
                    guard let size = Int(text.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                        throw HTTPClient.Failure(description: "malformed chunk size '\(text)'")
                    }
                    remaining = size
                    state = size == 0 ? .trailer : .data
                }
            case .data:
                let take = min(remaining, bytes.endIndex - index)
                out.append(contentsOf: bytes[index..<(index + take)])
                index += take
                remaining -= take
                if remaining == 0 { state = .dataEnd }
            case .done:
                return true
            }
        }
        return state == .done
    }
}
