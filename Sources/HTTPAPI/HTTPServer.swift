import Hummingbird
import Logging

/// The appliance's HTTP server: every route on one Hummingbird application, run as a
/// ServiceLifecycle service by `sluice serve`.
public enum HTTPServer {
    public static func makeRouter(dependencies: HTTPAPIDependencies, configuration: HTTPAPIConfiguration) -> Router<BasicRequestContext> {
        let router = Router()
        let latency = QueryDurationHistogram()
        LogsAPI(dependencies: dependencies, configuration: configuration, latency: latency).register(on: router)
        OperationalAPI(dependencies: dependencies, latency: latency).register(on: router)
        if let metrics = dependencies.metricQueries {
            MetricsAPI(metrics: metrics, now: dependencies.now, latency: latency,
                       timeoutNanoseconds: configuration.queryTimeoutNanoseconds).register(on: router)
        }
        if let replay = dependencies.replay { ReplayAPI(service: replay).register(on: router) }
        if let status = dependencies.status {
            StatusAPI(status: status, promql: dependencies.metricQueries?.engine, now: dependencies.now).register(on: router)
        }
        UIRoutes(directory: configuration.uiDirectory ?? UIRoutes.defaultDirectory(),
                 dashboards: DashboardCatalog(directory: configuration.dashboardsDirectory)).register(on: router)
        return router
    }

    public static func makeApplication(dependencies: HTTPAPIDependencies, configuration: HTTPAPIConfiguration, logger: Logger,
                                       onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: makeRouter(dependencies: dependencies, configuration: configuration),
                    configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port),
                                                            serverName: "sluice"),
                    onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
                    logger: logger)
    }
}
