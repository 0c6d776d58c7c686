import Hummingbird

/// `/healthz` (the process answers), `/readyz` (the store is open and the pipelines run),
/// `/metrics` (Prometheus text format from every part of the appliance).
struct OperationalAPI: Sendable {
    let dependencies: HTTPAPIDependencies
    let latency: QueryDurationHistogram

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in Self.text("ok\n") }
        router.get("/readyz") { _, _ in
            dependencies.isReady() ? Self.text("ready\n") : Self.text("not ready\n", status: .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            var text = ""
            for part in dependencies.metrics { part.appendMetrics(to: &text) }
            latency.appendMetrics(to: &text)
            return Self.text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}
