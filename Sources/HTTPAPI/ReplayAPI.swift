import Dispatch
import Hummingbird
import NIOPosix
import Replay
import SluiceModel
import Synchronization

/// `POST /api/sluice/v1/replay`: a topic between two event times, evaluated by rules as a
/// backtest or re-published to another topic (`ReplayService`), answered as an NDJSON
/// stream (`ReplayEvent.ndjsonLine`: progress while reading and evaluating, transitions in
/// timeline order, one summary per alerting rule, then `done`).
///
/// Body: `{"topic":"metrics","from":T,"to":T,"rules":[{"name":"file.yml","content":"…"}],
/// "into_topic":"name"}`; times are RFC 3339 or Unix seconds (number or string); `rules`
/// is optional (the appliance's rule files otherwise), `topic` defaults to `metrics`.
/// Mistakes (bad JSON, times, rule files with their positioned problems) are 400s in
/// Prometheus's error shape before the stream begins; an unknown topic is 404, too many
/// replays at once 429.
struct ReplayAPI: Sendable {
    let service: ReplayService

    static let maxBodyBytes = 8 << 20

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/sluice/v1/replay") { request, _ in
            var request = request
            return try await replay(&request)
        }
    }

    private func replay(_ request: inout Request) async throws -> Response {
        let body = try await request.collectBody(upTo: Self.maxBodyBytes)
        let replayRequest = try Self.decode(Array(body.readableBytesView))
        let service = service
        // Loading configured rule files reads the disk: not on an event loop.
        let prepared: ReplayService.PreparedReplay
        do {
            prepared = try await NIOThreadPool.singleton.runIfActive { try service.prepare(replayRequest) }
        } catch let error as ReplayError {
            throw Self.map(error)
        }
        let stream = ReplayStream(service: service, prepared: prepared)
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"],
                        body: ResponseBody { writer in try await stream.write(to: &writer) })
    }

    static func map(_ error: ReplayError) -> APIError {
        switch error.kind {
        case .badRequest: APIError.badData(error.message)
        case .notFound: APIError(.notFound, "not_found", error.message)
        case .busy: APIError(.tooManyRequests, "unavailable", error.message)
        case .failed: APIError(.internalServerError, "internal", error.message)
        }
    }

    /// The request body; every mistake named.
    static func decode(_ bytes: [UInt8]) throws -> ReplayRequest {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch { throw APIError.badData("\(error)") }
        guard case .object(let members) = document else { throw APIError.badData("the body must be a JSON object") }
        let known = ["topic", "from", "to", "rules", "into_topic"]
        if let unknown = members.first(where: { !known.contains($0.0) }) {
            throw APIError.badData("unknown field '\(unknown.0)' (known: \(known.joined(separator: ", ")))")
        }
        var topic = "metrics"
        if let value = document["topic"] {
            guard case .string(let text) = value, !text.isEmpty else { throw APIError.badData("'topic' must be a non-empty string") }
            topic = text
        }
        let from = try time(document["from"], field: "from")
        let to = try time(document["to"], field: "to")
        var rules: [ReplayRequest.RuleText]?
        if let value = document["rules"], value != .null {
            guard case .array(let items) = value else { throw APIError.badData("'rules' must be a list of {name, content}") }
            rules = try items.enumerated().map { index, item in
                guard case .string(let content)? = item["content"] else {
                    throw APIError.badData("rules[\(index)]: 'content' (the rule file's YAML) is missing or not a string")
                }
                var name = "rules-\(index + 1).yml"
                if let value = item["name"] {
                    guard case .string(let text) = value, !text.isEmpty else { throw APIError.badData("rules[\(index)]: 'name' must be a non-empty string") }
                    name = text
                }
                return ReplayRequest.RuleText(name: name, content: content)
            }
        }
        var intoTopic: String?
        if let value = document["into_topic"], value != .null {
            guard case .string(let text) = value else { throw APIError.badData("'into_topic' must be a string") }
            intoTopic = text
        }
        return ReplayRequest(topic: topic, from: from, to: to, rules: rules, intoTopic: intoTopic)
    }

    /// RFC 3339 or Unix seconds (a JSON number or a numeric string), in milliseconds.
    private static func time(_ value: JSONValue?, field: String) throws -> Int64 {
        switch value {
        case .string(let text)?:
            guard let time = QueryParameters.parseTime(text) else {
                throw APIError.badData("invalid '\(field)': '\(text)' is neither RFC 3339 nor Unix seconds")
            }
            return time.millisecondsSinceEpoch
        case .number(let seconds)? where seconds.isFinite && seconds.magnitude < 9.2e9:
            return Int64((seconds * 1000).rounded())
        case nil:
            throw APIError.badData("'\(field)' is missing (RFC 3339 or Unix seconds)")
        default:
            throw APIError.badData("invalid '\(field)': must be RFC 3339 or Unix seconds")
        }
    }
}

/// Streams a replay's events to an HTTP body, as `ExportStream` does a log export: the
/// replay runs on its own thread and hands over chunks of lines; at most four wait for
/// the client, so a slow reader slows the replay, and a client that goes away stops it.
/// Progress lines are handed over at once, so a progress bar moves.
struct ReplayStream: Sendable {
    let service: ReplayService
    let prepared: ReplayService.PreparedReplay

    static let chunkBytes = 64 << 10

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
        let slots = DispatchSemaphore(value: 4)
        let stopped = Atomic<Bool>(false)
        let job = self
        ExportStream.startThread {
            var chunk: [UInt8] = []
            func hand() -> Bool {
                slots.wait()
                if stopped.load(ordering: .relaxed) { return false }
                continuation.yield(chunk)
                chunk.removeAll(keepingCapacity: true)
                return true
            }
            job.service.run(job.prepared) { event in
                chunk.append(contentsOf: event.ndjsonLine)
                if case .transition = event, chunk.count < Self.chunkBytes { return !stopped.load(ordering: .relaxed) }
                if case .summary = event, chunk.count < Self.chunkBytes { return !stopped.load(ordering: .relaxed) }
                return hand()
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
}
