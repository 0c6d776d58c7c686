import Alerting
import Broker
import CommitLog
import Foundation
import HTTPAPI
import LogStore
import MetricStore
import Pipeline
import SluiceModel
import Yams

/// `sluice serve`'s YAML file (see etc/sluice.yml for every key and its default). Unknown
/// keys and wrong types are refused with the key's path.
struct ServeConfiguration: Decodable {
    struct Kafka: Decodable {
        var listen: String?
        var advertised: String?
        var default_partitions: Int32?
        var auto_create_topics: Bool?
        var max_request_bytes: Int?
        var max_batch_bytes: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case listen, advertised, default_partitions, auto_create_topics, max_request_bytes, max_batch_bytes
        }
    }

    struct Log: Decodable {
        var segment_bytes: Int?
        var segment_ms: Int64?
        var retention_ms: Int64?
        var retention_bytes: Int64?
        var index_interval_bytes: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case segment_bytes, segment_ms, retention_ms, retention_bytes, index_interval_bytes
        }
    }

    struct HTTP: Decodable {
        var listen: String?
        var max_query_range: String?
        var max_entries_limit: Int?
        var query_timeout: String?
        var max_push_bytes: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case listen, max_query_range, max_entries_limit, query_timeout, max_push_bytes
        }
    }

    struct UI: Decodable {
        var directory: String?
        var dashboards: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case directory, dashboards
        }
    }

    struct Store: Decodable {
        var dir: String?
        var retention: String?
        var retention_bytes: Int64?
        var max_head_bytes: Int?
        var max_head_age: String?
        var block_bytes: Int?
        var compression_level: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case dir, retention, retention_bytes, max_head_bytes, max_head_age, block_bytes, compression_level
        }
    }

    struct Metrics: Decodable {
        var dir: String?
        var retention: String?
        var max_head_age: String?
        var compression_level: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case dir, retention, max_head_age, compression_level
        }
    }

    struct Alerting: Decodable {
        struct Receiver: Decodable {
            var url: String
            var name: String?
            var timeout: String?
        }

        var rule_files: [String]?
        var evaluation_interval: String?
        var external_url: String?
        var webhooks: [Receiver]?
        var alertmanagers: [Receiver]?
        var retry_initial_backoff: String?
        var retry_max_backoff: String?
        var give_up_after: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case rule_files, evaluation_interval, external_url, webhooks, alertmanagers
            case retry_initial_backoff, retry_max_backoff, give_up_after
        }
    }

    var data_dir: String?
    var kafka: Kafka?
    var log: Log?
    var http: HTTP?
    var ui: UI?
    var store: Store?
    var metrics: Metrics?
    var alerting: Alerting?
    /// Checked by the pipeline types themselves (they refuse unknown keys with their path).
    var pipelines: [PipelineConfig]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case data_dir, kafka, log, http, ui, store, metrics, alerting, pipelines
    }

    /// The keys allowed at each level, from the decoded types themselves.
    static let knownKeys: [String: [String]] = [
        "": CodingKeys.allCases.map(\.rawValue),
        "kafka": Kafka.CodingKeys.allCases.map(\.rawValue),
        "log": Log.CodingKeys.allCases.map(\.rawValue),
        "http": HTTP.CodingKeys.allCases.map(\.rawValue),
        "ui": UI.CodingKeys.allCases.map(\.rawValue),
        "store": Store.CodingKeys.allCases.map(\.rawValue),
        "metrics": Metrics.CodingKeys.allCases.map(\.rawValue),
        "alerting": Alerting.CodingKeys.allCases.map(\.rawValue),
        "alerting.receiver": ["url", "name", "timeout"],
    ]

    /// Reads and checks the file.
    static func load(path: String) throws -> ServeConfiguration {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError("cannot read \(path): \(error.localizedDescription)")
        }
        guard let node = try Yams.compose(yaml: text) else { return ServeConfiguration() }
        try checkKeys(node, path: "", file: path)
        do {
            return try YAMLDecoder().decode(ServeConfiguration.self, from: node)
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context),
                let DecodingError.keyNotFound(_, context), let DecodingError.valueNotFound(_, context) {
            throw ConfigurationError("\(path): \(Self.place(context.codingPath)): \(context.debugDescription)")
        }
    }

    private static func checkKeys(_ node: Node, path: String, file: String, shownAs: String? = nil) throws {
        let shown = shownAs ?? path
        guard let mapping = node.mapping else {
            throw ConfigurationError("\(file): \(shown.isEmpty ? "the document" : shown) must be a mapping")
        }
        for (key, value) in mapping {
            guard let name = key.string, knownKeys[path]?.contains(name) == true else {
                let known = knownKeys[path]?.joined(separator: ", ") ?? ""
                throw ConfigurationError("\(file): unknown key '\(shown.isEmpty ? "" : shown + ".")\(key.string ?? "?")' (known: \(known))")
            }
            if knownKeys[name] != nil, path.isEmpty, name != "" { try checkKeys(value, path: name, file: file) }
            if path == "alerting", name == "webhooks" || name == "alertmanagers", let items = value.sequence {
                for (index, item) in items.enumerated() {
                    try checkKeys(item, path: "alerting.receiver", file: file, shownAs: "alerting.\(name)[\(index)]")
                }
            }
        }
    }

    private init() {}

    /// `pipelines[0].steps[2].when` from a coding path.
    static func place(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text.isEmpty ? "the document" : text
    }

    static func duration(_ text: String, key: String) throws -> Int64 {
        guard let value = DurationText.nanoseconds(text), value > 0 else {
            throw ConfigurationError("\(key): '\(text)' is not a duration (e.g. 30s, 5m, 7d)")
        }
        return value
    }

    /// Applies the `http:` section.
    func apply(to config: inout HTTPAPIConfiguration) throws {
        guard let http else { return }
        if let listen = http.listen {
            let address = try HostPort(parsing: listen)
            (config.host, config.port) = (address.host, address.port)
        }
        if let value = http.max_query_range { config.maxQueryRangeNanoseconds = try Self.duration(value, key: "http.max_query_range") }
        if let value = http.max_entries_limit {
            guard value > 0 else { throw ConfigurationError("http.max_entries_limit must be at least 1") }
            config.maxEntriesLimit = value
        }
        if let value = http.query_timeout { config.queryTimeoutNanoseconds = try Self.duration(value, key: "http.query_timeout") }
        if let value = http.max_push_bytes {
            guard value > 0 else { throw ConfigurationError("http.max_push_bytes must be at least 1") }
            config.maxPushBytes = value
        }
    }

    /// Applies the `ui:` section; relative folders are relative to the configuration file's.
    func apply(toUI config: inout HTTPAPIConfiguration, configDirectory: String) {
        guard let ui else { return }
        func resolved(_ path: String) -> String { path.hasPrefix("/") ? path : configDirectory + "/" + path }
        if let directory = ui.directory { config.uiDirectory = resolved(directory) }
        if let dashboards = ui.dashboards { config.dashboardsDirectory = resolved(dashboards) }
    }

    /// Applies the `store:` section.
    func apply(to config: inout LogStoreConfiguration) throws {
        guard let store else { return }
        if let dir = store.dir { config.directory = dir }
        if let value = store.retention { config.retentionNanoseconds = value == "0" || value == "-1" ? nil : try Self.duration(value, key: "store.retention") }
        if let value = store.retention_bytes { config.retentionBytes = value < 0 ? nil : Int(value) }
        if let value = store.max_head_bytes {
            guard value >= 1 << 20 else { throw ConfigurationError("store.max_head_bytes must be at least 1 MiB") }
            config.maxHeadBytes = value
        }
        if let value = store.max_head_age { config.maxHeadAgeNanoseconds = try Self.duration(value, key: "store.max_head_age") }
        if let value = store.block_bytes {
            guard value >= 4096 else { throw ConfigurationError("store.block_bytes must be at least 4096") }
            config.blockTargetBytes = value
        }
        if let value = store.compression_level {
            guard (1...19).contains(value) else { throw ConfigurationError("store.compression_level must be 1 to 19") }
            config.compressionLevel = value
        }
    }

    /// Applies the `metrics:` section.
    func apply(to config: inout MetricStoreConfiguration) throws {
        guard let metrics else { return }
        if let dir = metrics.dir { config.directory = dir }
        if let value = metrics.retention {
            config.retentionMilliseconds = value == "0" || value == "-1" ? nil : try Self.duration(value, key: "metrics.retention") / 1_000_000
        }
        if let value = metrics.max_head_age { config.maxHeadAgeNanoseconds = try Self.duration(value, key: "metrics.max_head_age") }
        if let value = metrics.compression_level {
            guard (1...19).contains(value) else { throw ConfigurationError("metrics.compression_level must be 1 to 19") }
            config.compressionLevel = value
        }
    }

    /// Applies the `alerting:` section. Rule file paths are relative to the folder of the
    /// configuration file (`configDirectory`), as Prometheus resolves `rule_files`.
    func apply(to config: inout AlertingConfiguration, configDirectory: String) throws {
        guard let alerting else { return }
        if let files = alerting.rule_files {
            config.ruleFiles = files.map { $0.hasPrefix("/") ? $0 : configDirectory + "/" + $0 }
        }
        if let value = alerting.evaluation_interval {
            config.evaluationIntervalMilliseconds = try Self.milliseconds(value, key: "alerting.evaluation_interval")
        }
        if let value = alerting.external_url {
            guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
                throw ConfigurationError("alerting.external_url: '\(value)' is not an http(s) URL")
            }
            config.externalURL = value
        }
        var retry = RetryPolicy()
        if let value = alerting.retry_initial_backoff {
            retry.initialBackoffMilliseconds = try Self.milliseconds(value, key: "alerting.retry_initial_backoff")
        }
        if let value = alerting.retry_max_backoff {
            retry.maximumBackoffMilliseconds = try Self.milliseconds(value, key: "alerting.retry_max_backoff")
        }
        if let value = alerting.give_up_after {
            retry.maximumRetryMilliseconds = try Self.milliseconds(value, key: "alerting.give_up_after")
        }
        for (index, receiver) in (alerting.webhooks ?? []).enumerated() {
            let place = "alerting.webhooks[\(index)]"
            try Self.checkURL(receiver.url, key: place + ".url")
            var webhook = WebhookConfiguration(name: receiver.name ?? "webhook-\(index)", url: receiver.url)
            if let timeout = receiver.timeout { webhook.timeoutMilliseconds = try Self.milliseconds(timeout, key: place + ".timeout") }
            webhook.retry = retry
            config.webhooks.append(webhook)
        }
        for (index, receiver) in (alerting.alertmanagers ?? []).enumerated() {
            let place = "alerting.alertmanagers[\(index)]"
            try Self.checkURL(receiver.url, key: place + ".url")
            var alertmanager = AlertmanagerConfiguration(url: receiver.url)
            if let timeout = receiver.timeout { alertmanager.timeoutMilliseconds = try Self.milliseconds(timeout, key: place + ".timeout") }
            alertmanager.retry = retry
            config.alertmanagers.append(alertmanager)
        }
    }

    static func milliseconds(_ text: String, key: String) throws -> Int64 {
        let nanoseconds = try duration(text, key: key)
        guard nanoseconds >= 1_000_000 else { throw ConfigurationError("\(key): '\(text)' is shorter than a millisecond") }
        return nanoseconds / 1_000_000
    }

    static func checkURL(_ text: String, key: String) throws {
        guard text.hasPrefix("http://") else {
            throw ConfigurationError("\(key): '\(text)' is not an http:// URL (receivers are reached over plain HTTP)")
        }
    }

    /// Applies the file's values over the embedded defaults.
    func apply(to config: inout BrokerConfig) throws {
        if let data_dir { config.dataDirectory = data_dir }
        if let kafka {
            if let listen = kafka.listen {
                let address = try HostPort(parsing: listen)
                (config.listenHost, config.listenPort) = (address.host, address.port)
            }
            if let advertised = kafka.advertised {
                let address = try HostPort(parsing: advertised)
                (config.advertisedHost, config.advertisedPort) = (address.host, address.port)
            }
            if let value = kafka.default_partitions {
                guard value > 0 else { throw ConfigurationError("kafka.default_partitions must be at least 1") }
                config.defaultPartitions = value
            }
            if let value = kafka.auto_create_topics { config.autoCreateTopics = value }
            if let value = kafka.max_request_bytes { config.maxRequestBytes = value }
            if let value = kafka.max_batch_bytes { config.maxBatchBytes = value }
        }
        if let log {
            if let value = log.segment_bytes {
                guard (1024...Int(Int32.max)).contains(value) else { throw ConfigurationError("log.segment_bytes must be 1 KiB to 2 GiB") }
                config.log.segmentBytes = value
            }
            if let value = log.segment_ms { config.log.segmentMilliseconds = value }
            if let value = log.retention_ms { config.log.retentionMilliseconds = value }
            if let value = log.retention_bytes { config.log.retentionBytes = value }
            if let value = log.index_interval_bytes { config.log.indexIntervalBytes = value }
        }
    }
}

struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
