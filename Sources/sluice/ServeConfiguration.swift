import Broker
import CommitLog
import Foundation
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

    var data_dir: String?
    var kafka: Kafka?
    var log: Log?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case data_dir, kafka, log
    }

    /// The keys allowed at each level, from the decoded types themselves.
    static let knownKeys: [String: [String]] = [
        "": CodingKeys.allCases.map(\.rawValue),
        "kafka": Kafka.CodingKeys.allCases.map(\.rawValue),
        "log": Log.CodingKeys.allCases.map(\.rawValue),
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
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.dataCorrupted(context) {
            throw ConfigurationError("\(path): \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        }
    }

    private static func checkKeys(_ node: Node, path: String, file: String) throws {
        guard let mapping = node.mapping else {
            throw ConfigurationError("\(file): \(path.isEmpty ? "the document" : path) must be a mapping")
        }
        for (key, value) in mapping {
            guard let name = key.string, knownKeys[path]?.contains(name) == true else {
                let known = knownKeys[path]?.joined(separator: ", ") ?? ""
                throw ConfigurationError("\(file): unknown key '\(path.isEmpty ? "" : path + ".")\(key.string ?? "?")' (known: \(known))")
            }
            if knownKeys[name] != nil, path.isEmpty { try checkKeys(value, path: name, file: file) }
        }
    }

    private init() {}

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
