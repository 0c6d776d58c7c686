import Compression
import Hummingbird
import LogQL
import NIOPosix
import Processors
import SluiceModel

/// Loki's log API (`/loki/api/v1/…`) and the export endpoint. Queries run on a thread
/// pool, not on the server's event loops or the concurrency pool, each with a deadline.
struct LogsAPI: Sendable {
    let dependencies: HTTPAPIDependencies
    let configuration: HTTPAPIConfiguration
    let latency: QueryDurationHistogram

    func register(on router: Router<BasicRequestContext>) {
        for path in ["/loki/api/v1/query_range", "/api/prom/query"] {
            router.get(RouterPath(path)) { request, _ in try await queryRange(request, form: nil) }
        }
        router.post("/loki/api/v1/query_range") { request, _ in
            var request = request
            return try await queryRange(request, form: try await formBody(&request))
        }
        router.get("/loki/api/v1/query") { request, _ in try await queryInstant(request, form: nil) }
        router.post("/loki/api/v1/query") { request, _ in
            var request = request
            return try await queryInstant(request, form: try await formBody(&request))
        }
        router.get("/loki/api/v1/labels") { request, _ in try await labels(request) }
        router.get("/loki/api/v1/label/:name/values") { request, context in
            try await labelValues(request, name: try context.parameters.require("name"))
        }
        router.post("/loki/api/v1/push") { request, _ in
            var request = request
            return try await push(&request)
        }
        router.get("/api/sluice/v1/export") { request, _ in try export(request) }
    }

    private func formBody(_ request: inout Request) async throws -> [UInt8]? {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else { return nil }
        let buffer = try await request.collectBody(upTo: 1 << 20)
        return Array(buffer.readableBytesView)
    }

    // MARK: Queries

    private func queryRange(_ request: Request, form: [UInt8]?) async throws -> Response {
        let parameters = QueryParameters(request: request, formBody: form)
        let query = try parameters.required("query")
        let now = dependencies.now()
        let end = try parameters.time("end", default: now)
        let start = try startTime(parameters, end: end, defaultSpan: 3_600_000_000_000)
        guard start <= end else { throw APIError.badData("invalid time range: end (\(end.rfc3339)) is before start (\(start.rfc3339))") }
        // The range and the limit are checked by the engine, whose limits are this configuration's.
        let limit = try parameters.integer("limit", default: 100)
        let direction = try parameters.direction()
        let step = try parameters.duration("step") ?? LogQLEngine.defaultStepNanoseconds(start: start, end: end)
        let engine = dependencies.engine
        return try await run(endpoint: "query_range") { isCancelled in
            try engine.queryRange(query, start: start, end: end, stepNanoseconds: step, limit: limit,
                                  direction: direction, isCancelled: isCancelled)
        }
    }

    private func queryInstant(_ request: Request, form: [UInt8]?) async throws -> Response {
        let parameters = QueryParameters(request: request, formBody: form)
        let query = try parameters.required("query")
        let time = try parameters.time("time", default: dependencies.now())
        let limit = try parameters.integer("limit", default: 100)
        let direction = try parameters.direction()
        let engine = dependencies.engine
        return try await run(endpoint: "query") { isCancelled in
            try engine.queryInstant(query, time: time, limit: limit, direction: direction, isCancelled: isCancelled)
        }
    }

    /// `start`, else `end - since`, else `end - defaultSpan` (Loki: 1 h for queries, 6 h for labels).
    private func startTime(_ parameters: QueryParameters, end: Timestamp, defaultSpan: Int64) throws -> Timestamp {
        if parameters["start"] != nil { return try parameters.time("start", default: end) }
        let span = try parameters.duration("since") ?? defaultSpan
        return Timestamp(nanosecondsSinceEpoch: end.nanosecondsSinceEpoch - span)
    }

    /// Runs a query off the event loops with the configured deadline, and answers it.
    private func run(endpoint: String, _ body: @escaping @Sendable (_ isCancelled: () -> Bool) throws -> LogQLResult) async throws -> Response {
        let started = ContinuousClock.now
        let deadline = started + .nanoseconds(configuration.queryTimeoutNanoseconds)
        let result: LogQLResult
        do {
            result = try await NIOThreadPool.singleton.runIfActive {
                try body { ContinuousClock.now > deadline }
            }
        } catch {
            throw QueryErrorMapper.map(error)
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        latency.observe(endpoint: endpoint, seconds: seconds)
        let bytes = LokiResponseEncoder.encode(result, executionSeconds: seconds)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    // MARK: Labels

    private func labels(_ request: Request) async throws -> Response {
        let (matchers, start, end) = try labelScope(request)
        let source = dependencies.source
        let streams = try await NIOThreadPool.singleton.runIfActive { try source.streams(matching: matchers, start: start, end: end) }
        var names = Set<String>()
        for stream in streams { for pair in stream { names.insert(pair.name) } }
        return Self.json(LokiResponseEncoder.encodeStrings(names.sorted()))
    }

    private func labelValues(_ request: Request, name: String) async throws -> Response {
        let (matchers, start, end) = try labelScope(request)
        let source = dependencies.source
        let streams = try await NIOThreadPool.singleton.runIfActive { try source.streams(matching: matchers, start: start, end: end) }
        let values = Set(streams.compactMap { $0[name] })
        return Self.json(LokiResponseEncoder.encodeStrings(values.sorted()))
    }

    /// `start`/`end` (default the last 6 hours, as Loki) and an optional `query` selector.
    private func labelScope(_ request: Request) throws -> ([LabelMatcher], Timestamp, Timestamp) {
        let parameters = QueryParameters(request: request)
        let end = try parameters.time("end", default: dependencies.now())
        let start = try startTime(parameters, end: end, defaultSpan: 6 * 3_600_000_000_000)
        var matchers: [LabelMatcher] = []
        if let query = parameters["query"] {
            do { matchers = try LogQLParser.parseSelector(query) } catch { throw QueryErrorMapper.map(error) }
        }
        return (matchers, start, Timestamp(nanosecondsSinceEpoch: end.nanosecondsSinceEpoch &+ 1))
    }

    // MARK: Push

    private func push(_ request: inout Request) async throws -> Response {
        let contentType = request.headers[.contentType] ?? "application/json"
        guard contentType.hasPrefix("application/json") else {
            throw APIError(.unsupportedMediaType, "bad_data", "push accepts application/json (optionally with Content-Encoding: gzip); got \(contentType)")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: configuration.maxPushBytes) } catch {
            throw APIError(.contentTooLarge, "bad_data", "push body larger than \(configuration.maxPushBytes) bytes")
        }
        var body = Array(buffer.readableBytesView)
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            guard encoding == "gzip" else {
                throw APIError(.unsupportedMediaType, "bad_data", "unsupported Content-Encoding '\(encoding)' (use gzip)")
            }
            do { body = try CompressionCodec.gzip.decompress(body, maxOutputBytes: configuration.maxPushDecompressedBytes) } catch {
                throw APIError.badData("push body: cannot gunzip: \(error)")
            }
        }
        let events = try LokiPushDecoder.decode(body)
        let records = events.map { event in
            (key: event.host.isEmpty ? nil : Array(event.host.utf8), value: event.encodeJSON(),
             timestampMilliseconds: event.timestamp.millisecondsSinceEpoch)
        }
        let writer = dependencies.writer
        let topic = configuration.pushTopic
        try await NIOThreadPool.singleton.runIfActive { try writer.append(topic: topic, records: records, durable: true) }
        return Response(status: .noContent)
    }

    // MARK: Export

    /// NDJSON (`{"timestamp","labels","line"}` per entry) or CSV (`timestamp,labels,line`),
    /// streamed in order with no size limit; the scan waits while the client reads.
    private func export(_ request: Request) throws -> Response {
        let parameters = QueryParameters(request: request)
        let query = try parameters.required("query")
        let now = dependencies.now()
        let end = try parameters.time("end", default: now)
        let start = try parameters.time("start", default: Timestamp(nanosecondsSinceEpoch: end.nanosecondsSinceEpoch - 3_600_000_000_000))
        guard start <= end else { throw APIError.badData("invalid time range: end is before start") }
        let format = parameters["format"] ?? "ndjson"
        guard let exportFormat = ExportFormat(rawValue: format) else {
            throw APIError.badData("invalid parameter 'format': '\(format)' (use ndjson or csv)")
        }
        let direction = parameters["direction"] == nil ? LogScan.Direction.forward : try parameters.direction()
        // Parse first so that a bad query is a 400, not a broken stream.
        do { _ = try LogQLParser.parse(query) } catch { throw QueryErrorMapper.map(error) }
        let stream = ExportStream(engine: dependencies.engine, query: query, start: start, end: end,
                                  direction: direction, format: exportFormat)
        return Response(status: .ok, headers: [.contentType: exportFormat.contentType],
                        body: ResponseBody { writer in try await stream.write(to: &writer) })
    }

    static func json(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
