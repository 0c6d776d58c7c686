import Dispatch
import Hummingbird
import LogQL
import SluiceModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

enum ExportFormat: String, Sendable {
    case ndjson, csv

    var contentType: String { self == .ndjson ? "application/x-ndjson" : "text/csv; charset=utf-8" }
}

/// Streams a log query's entries to an HTTP body. The scan runs on its own thread and
/// hands over chunks of about 256 KiB; at most four chunks wait for the client, so a
/// slow reader slows the scan instead of filling memory, and a client that goes away
/// stops it.
struct ExportStream: Sendable {
    let engine: LogQLEngine
    let query: String
    let start: Timestamp
    let end: Timestamp
    let direction: LogScan.Direction
    let format: ExportFormat

    static let chunkBytes = 256 << 10

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
        let slots = DispatchSemaphore(value: 4)
        let stopped = Atomic<Bool>(false)
        let job = self
        Self.startThread {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(Self.chunkBytes + 4096)
            if job.format == .csv { chunk.append(contentsOf: "timestamp,labels,line\n".utf8) }
            func hand() -> Bool {
                slots.wait()
                if stopped.load(ordering: .relaxed) { return false }
                continuation.yield(chunk)
                chunk.removeAll(keepingCapacity: true)
                return true
            }
            do {
                try job.engine.forEachEntry(job.query, start: job.start, end: job.end, direction: job.direction,
                                            isCancelled: { stopped.load(ordering: .relaxed) }) { labels, time, line in
                    job.append(labels: labels, time: time, line: line, to: &chunk)
                    return chunk.count < Self.chunkBytes || hand()
                }
            } catch {
                // Headers are gone already: the error ends the body as its last line.
                var writer = JSONWriter()
                writer.raw("{\"error\":")
                writer.string(QueryErrorMapper.map(error).message)
                writer.raw("}\n")
                chunk.append(contentsOf: writer.bytes)
            }
            if !chunk.isEmpty { _ = hand() }
            continuation.finish()
        }
        do {
            for await chunk in chunks {
                try await writer.write(ByteBuffer(bytes: chunk))
                slots.signal()
            }
        } catch {
            stopped.store(true, ordering: .relaxed)
            for _ in 0..<8 { slots.signal() }
            throw error
        }
        try await writer.finish(nil)
    }

    func append(labels: Labels, time: Timestamp, line: [UInt8], to out: inout [UInt8]) {
        switch format {
        case .ndjson:
            var writer = JSONWriter(appendingTo: [])
            swap(&writer.bytes, &out)
            writer.raw("{\"timestamp\":\"")
            time.appendRFC3339(to: &writer.bytes)
            writer.raw("\",\"labels\":")
            labels.writeJSON(to: &writer)
            writer.raw(",\"line\":")
            _ = writer.string(bytes: line)
            writer.raw("}\n")
            swap(&writer.bytes, &out)
        case .csv:
            time.appendRFC3339(to: &out)
            out.append(UInt8(ascii: ","))
            Self.appendCSVField(Array(labels.sortKey.utf8), to: &out)
            out.append(UInt8(ascii: ","))
            Self.appendCSVField(line, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
    static func appendCSVField(_ field: [UInt8], to out: inout [UInt8]) {
        let needsQuotes = field.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            out.append(contentsOf: field)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in field {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A detached OS thread: the scan blocks while the client is slow, which must not
    /// hold one of the few concurrency-pool threads.
    static func startThread(_ body: @escaping @Sendable () -> Void) {
        final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        if result == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body()
        }
    }
}
