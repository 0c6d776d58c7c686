import Alerting
import Dispatch
import Hummingbird
import MetricStore
import NIOPosix
import PromQL
import SluiceModel

/// Prometheus's HTTP API over the metric store and the rule manager: `/api/v1/query`,
/// `/query_range`, `/series`, `/labels`, `/label/<name>/values` (GET, or POST with a form
/// body), `/api/v1/rules` and `/api/v1/alerts`, with Prometheus's parameter formats, JSON
/// shapes and error types (`bad_data` 400, `execution` 422), so Grafana's Prometheus data
/// source and promtool-style clients work unchanged. Queries run on the NIO thread pool.
struct MetricsAPI: Sendable {
    let metrics: MetricsDependencies
    let now: @Sendable () -> Timestamp
    let latency: QueryDurationHistogram
    /// A query running longer stops with 503 `timeout` (`http.query_timeout`).
    let timeoutNanoseconds: Int64

    func register(on router: Router<BasicRequestContext>) {
        route(router, "/api/v1/query") { parameters in try await instantQuery(parameters) }
        route(router, "/api/v1/query_range") { parameters in try await rangeQuery(parameters) }
        route(router, "/api/v1/series") { parameters in try await series(parameters) }
        route(router, "/api/v1/labels") { parameters in try await labelNames(parameters) }
        router.get("/api/v1/label/:name/values") { request, context in
            try await labelValues(QueryParameters(request: request), name: try context.parameters.require("name"))
        }
        router.get("/api/v1/rules") { request, _ in
            let parameters = QueryParameters(request: request)
            let text = parameters["type"] ?? ""
            guard let filter = RuleListFilter(rawValue: text) else {
                throw APIError.badData("invalid parameter \"type\": '\(text)' (use alert or record)")
            }
            return LogsAPI.json(metrics.rules?.rulesResponseJSON(filter: filter) ?? Array(#"{"status":"success","data":{"groups":[]}}"#.utf8))
        }
        // What Grafana's Prometheus data source asks besides queries: the version whose
        // semantics these answers follow, and no metadata or exemplars.
        router.get("/api/v1/status/buildinfo") { _, _ in
            LogsAPI.json(Array(#"{"status":"success","data":{"version":"2.42.0","revision":"sluice","branch":"","buildUser":"","buildDate":"","goVersion":""}}"#.utf8))
        }
        router.get("/api/v1/metadata") { _, _ in LogsAPI.json(Array(#"{"status":"success","data":{}}"#.utf8)) }
        route(router, "/api/v1/query_exemplars") { _ in LogsAPI.json(Array(#"{"status":"success","data":[]}"#.utf8)) }
        router.get("/api/v1/alerts") { _, _ in
            LogsAPI.json(metrics.rules?.alertsResponseJSON() ?? Array(#"{"status":"success","data":{"alerts":[]}}"#.utf8))
        }
    }

    /// GET with URL parameters, POST with a form body (Grafana posts long queries).
    private func route(_ router: Router<BasicRequestContext>, _ path: String,
                       _ handler: @escaping @Sendable (QueryParameters) async throws -> Response) {
        router.get(RouterPath(path)) { request, _ in try await handler(QueryParameters(request: request)) }
        router.post(RouterPath(path)) { request, _ in
            var request = request
            var form: [UInt8]?
            if request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
                form = Array(try await request.collectBody(upTo: 1 << 20).readableBytesView)
            }
            return try await handler(QueryParameters(request: request, formBody: form))
        }
    }

    // MARK: Queries

    private func instantQuery(_ parameters: QueryParameters) async throws -> Response {
        let query = parameters["query"] ?? ""
        let time = try Self.time(parameters, "time") ?? now().millisecondsSinceEpoch
        let engine = metrics.engine
        return try await run(endpoint: "prom_query") { isCancelled in try engine.instantQuery(query, at: time, isCancelled: isCancelled) }
    }

    private func rangeQuery(_ parameters: QueryParameters) async throws -> Response {
        let query = parameters["query"] ?? ""
        guard let start = try Self.time(parameters, "start") else { throw Self.unparsableTime("start", "") }
        guard let end = try Self.time(parameters, "end") else { throw Self.unparsableTime("end", "") }
        guard end >= start else { throw APIError.badData("invalid parameter \"end\": end timestamp must not be before start time") }
        guard let step = try Self.duration(parameters, "step") else {
            throw APIError.badData("invalid parameter \"step\": cannot parse \"\" to a valid duration")
        }
        guard step > 0 else {
            throw APIError.badData("invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        let engine = metrics.engine
        return try await run(endpoint: "prom_query_range") { isCancelled in
            try engine.rangeQuery(query, start: start, end: end, step: step, isCancelled: isCancelled)
        }
    }

    private func run(endpoint: String, _ body: @escaping @Sendable (_ isCancelled: @escaping () -> Bool) throws -> PromQLValue) async throws -> Response {
        let started = ContinuousClock.now
        let deadline = started + .nanoseconds(timeoutNanoseconds)
        let value: PromQLValue
        do {
            value = try await NIOThreadPool.singleton.runIfActive { try body { ContinuousClock.now > deadline } }
        } catch let error as PromQLError {
            throw Self.apiError(error)
        }
        let elapsed = ContinuousClock.now - started
        latency.observe(endpoint: endpoint, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        return LogsAPI.json(PrometheusResponseEncoder.encode(value))
    }

    /// Prometheus's mapping: a query that does not parse is `bad_data` for the `query`
    /// parameter; a refused request is `bad_data`; a failure while evaluating is 422.
    static func apiError(_ error: PromQLError, parameter: String = "query") -> APIError {
        switch error.kind {
        case .parse: return APIError.badData("invalid parameter \"\(parameter)\": \(error.description)")
        case .badRequest: return APIError.badData(error.description)
        case .execution: return APIError(.unprocessableContent, "execution", error.description)
        case .timeout: return APIError(.serviceUnavailable, "timeout", error.description)
        }
    }

    // MARK: Series and labels

    private func series(_ parameters: QueryParameters) async throws -> Response {
        let matcherSets = try Self.matcherSets(parameters)
        guard !matcherSets.isEmpty else { throw APIError.badData("no match[] parameter provided") }
        let (start, end) = try Self.window(parameters)
        let store = metrics.store
        let found = try await NIOThreadPool.singleton.runIfActive { store.series(matching: matcherSets, start: start, end: end) }
        var writer = JSONWriter(capacity: 64 + found.count * 96)
        writer.raw("{\"status\":\"success\",\"data\":[")
        for (index, labels) in found.enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            PrometheusResponseEncoder.writeLabels(labels, to: &writer)
        }
        writer.raw("]}")
        return LogsAPI.json(writer.bytes)
    }

    private func labelNames(_ parameters: QueryParameters) async throws -> Response {
        let matcherSets = try Self.matcherSets(parameters)
        let (start, end) = try Self.window(parameters)
        let store = metrics.store
        let names = try await NIOThreadPool.singleton.runIfActive { store.labelNames(matching: matcherSets, start: start, end: end) }
        return LogsAPI.json(PrometheusResponseEncoder.encodeStrings(names))
    }

    private func labelValues(_ parameters: QueryParameters, name: String) async throws -> Response {
        let matcherSets = try Self.matcherSets(parameters)
        let (start, end) = try Self.window(parameters)
        let store = metrics.store
        let values = try await NIOThreadPool.singleton.runIfActive {
            store.labelValues(name: name, matching: matcherSets, start: start, end: end)
        }
        return LogsAPI.json(PrometheusResponseEncoder.encodeStrings(values))
    }

    static func matcherSets(_ parameters: QueryParameters) throws -> [[LabelMatcher]] {
        try parameters.all("match[]").map { text in
            do { return try PromQLEngine.parseSeriesSelector(text) } catch let error as PromQLError {
                throw apiError(error, parameter: "match[]")
            }
        }
    }

    /// `start`/`end` of series and label listings; both optional (all time).
    static func window(_ parameters: QueryParameters) throws -> (Int64, Int64) {
        (try time(parameters, "start") ?? .min, try time(parameters, "end") ?? .max)
    }

    // MARK: Parameter formats

    /// Prometheus's times: float Unix seconds (rounded to milliseconds) or RFC 3339.
    static func time(_ parameters: QueryParameters, _ name: String) throws -> Int64? {
        guard let text = parameters[name] else { return nil }
        if let seconds = Double(text), seconds.isFinite {
            guard seconds.magnitude < 9.2e12 else { throw unparsableTime(name, text) }
            return Int64((seconds * 1000).rounded())
        }
        if let timestamp = Timestamp(rfc3339: text) { return timestamp.millisecondsSinceEpoch }
        throw unparsableTime(name, text)
    }

    static func unparsableTime(_ name: String, _ text: String) -> APIError {
        APIError.badData("invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid timestamp")
    }

    /// Prometheus's durations: float seconds or `5m`/`1h30m`, in milliseconds.
    static func duration(_ parameters: QueryParameters, _ name: String) throws -> Int64? {
        guard let text = parameters[name] else { return nil }
        if let seconds = Double(text), seconds.isFinite {
            guard seconds.magnitude < 9.2e9 else {
                throw APIError.badData("invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid duration. It overflows int64")
            }
            return Int64((seconds * 1000).rounded(.towardZero))
        }
        if let milliseconds = PromQLEngine.durationMilliseconds(text) { return milliseconds }
        throw APIError.badData("invalid parameter \"\(name)\": cannot parse \"\(text)\" to a valid duration")
    }
}

/// Output slots of parallel encoders; each worker writes only its own element.
struct UncheckedSendableBuffer<Element>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Element>
    init(_ buffer: UnsafeMutableBufferPointer<Element>) { self.buffer = buffer }
}

/// Prometheus's JSON bodies for query results and string lists.
enum PrometheusResponseEncoder {
    static func encode(_ value: PromQLValue) -> [UInt8] {
        var writer = JSONWriter(capacity: 4096)
        writer.raw("{\"status\":\"success\",\"data\":{\"resultType\":")
        writer.string(value.resultType)
        writer.raw(",\"result\":")
        switch value {
        case .scalar(let time, let number):
            writer.raw(UInt8(ascii: "["))
            writer.rawBytes(Array(PromQLValue.formatScalarTime(time).utf8))
            writer.raw(UInt8(ascii: ","))
            writer.string(PromQLValue.formatScalarValue(number))
            writer.raw(UInt8(ascii: "]"))
        case .string(let time, let text):
            writer.raw(UInt8(ascii: "["))
            writer.rawBytes(Array(PromQLValue.formatScalarTime(time).utf8))
            writer.raw(UInt8(ascii: ","))
            writer.string(text)
            writer.raw(UInt8(ascii: "]"))
        case .vector(let samples):
            writer.raw(UInt8(ascii: "["))
            for (index, sample) in samples.enumerated() {
                if index > 0 { writer.raw(UInt8(ascii: ",")) }
                writer.raw("{\"metric\":")
                writeLabels(sample.labels, to: &writer)
                writer.raw(",\"value\":")
                writePoint(time: sample.time, value: sample.value, to: &writer)
                writer.raw(UInt8(ascii: "}"))
            }
            writer.raw(UInt8(ascii: "]"))
        case .matrix(let series):
            writer.raw(UInt8(ascii: "["))
            // Large answers (a value per point) are written on every core, a run of series each.
            let workers = series.count >= 256 ? 2 : 1
            var parts = [[UInt8]](repeating: [], count: workers)
            parts.withUnsafeMutableBufferPointer { parts in
                let output = UncheckedSendableBuffer(parts)
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let range = (series.count * worker / workers)..<(series.count * (worker + 1) / workers)
                    // About 30 bytes per point and 100 per series: one allocation, no regrowth.
                    var part = JSONWriter(capacity: series[range].reduce(0) { $0 + 100 + $1.points.count * 32 })
                    for index in range {
                        if index > 0 { part.raw(UInt8(ascii: ",")) }
                        writeSeries(series[index], to: &part)
                    }
                    output.buffer[worker] = part.bytes
                }
            }
            writer.bytes.reserveCapacity(writer.bytes.count + parts.reduce(16) { $0 + $1.count })
            for part in parts { writer.rawBytes(part) }
            writer.raw(UInt8(ascii: "]"))
        }
        writer.raw("}}")
        return writer.bytes
    }

    static func writeSeries(_ one: PromQLSeries, to writer: inout JSONWriter) {
        writer.raw("{\"metric\":")
        writeLabels(one.labels, to: &writer)
        writer.raw(",\"values\":[")
        for (pointIndex, point) in one.points.enumerated() {
            if pointIndex > 0 { writer.raw(UInt8(ascii: ",")) }
            writePoint(time: point.time, value: point.value, to: &writer)
        }
        writer.raw("]}")
    }

    static func writePoint(time: Int64, value: Double, to writer: inout JSONWriter) {
        writer.raw(UInt8(ascii: "["))
        PromQLValue.appendSampleTime(time, to: &writer.bytes)
        writer.raw(",\"")
        // Digits, '.', '-', '+', "NaN", "Inf": nothing to escape.
        PromQLValue.appendSampleValue(value, to: &writer.bytes)
        writer.raw("\"]")
    }

    static func writeLabels(_ labels: Labels, to writer: inout JSONWriter) {
        writer.raw(UInt8(ascii: "{"))
        var first = true
        for pair in labels {
            if !first { writer.raw(UInt8(ascii: ",")) }
            first = false
            writer.string(pair.name)
            writer.raw(UInt8(ascii: ":"))
            writer.string(pair.value)
        }
        writer.raw(UInt8(ascii: "}"))
    }

    static func encodeStrings(_ values: [String]) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + values.count * 24)
        writer.raw("{\"status\":\"success\",\"data\":[")
        for (index, value) in values.enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.string(value)
        }
        writer.raw("]}")
        return writer.bytes
    }
}
