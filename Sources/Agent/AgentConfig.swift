import Glibc
import SluiceModel

/// `sluice-agent`'s configuration file (YAML). etc/agent.yml and agents/examples/ show
/// every key with its default; `sluice-agent check-config FILE` checks a file without
/// running anything. Unknown keys and bad values are refused with the key's path.
public struct AgentConfig: Sendable {
    /// The `host` of every event and batch (default: this machine's host name).
    public var host: String
    /// Checkpoints and the metric queue live here (default /var/lib/sluice-agent).
    public var stateDirectory: String
    public var kafka: KafkaSettings
    public var delivery: DeliverySettings
    public var inputs: [InputConfig]

    public struct KafkaSettings: Sendable {
        /// `host:port[,host:port…]` of the Sluice appliance (or any Kafka cluster).
        public var bootstrap = "127.0.0.1:9092"
        /// zstd (default), gzip, lz4, snappy or none. zstd level 1 stores log events as
        /// small as gzip level 1 does at ~1.7x its speed (BENCHMARKS.md): librdkafka
        /// compresses on one thread, so the codec sets the agent's ceiling.
        public var compression = "zstd"
        /// Codec level; zstd and gzip default to 1 (gzip 6 manages ~36 MB/s per core here
        /// and would make compression the bottleneck), the others to their library default.
        public var compressionLevel: Int? = 1
        /// How long a partial batch may wait for more records (librdkafka linger.ms).
        public var lingerNanoseconds: UInt64 = 20_000_000
        /// Largest batch per partition (librdkafka batch.size).
        public var batchBytes = 1_000_000
        /// acks: all (default), 1 or 0. Only `all` gives the no-loss guarantee.
        public var acks = "all"
        /// Any other librdkafka property, passed through as is.
        public var librdkafka: [String: String] = [:]
    }

    public struct DeliverySettings: Sendable {
        /// Most bytes of events read but not yet covered by a saved checkpoint. This bounds
        /// both memory and what a SIGKILL can duplicate (one window).
        public var windowBytes = 4 << 20
        /// The same bound counted in events.
        public var windowEvents = 20_000
        /// Wait before re-sending records the broker refused.
        public var retryBackoffNanoseconds: UInt64 = 1_000_000_000
        /// How long shutdown waits for unacknowledged records before giving up (they are
        /// re-read after the restart, since their checkpoint did not advance).
        public var shutdownTimeoutNanoseconds: UInt64 = 10_000_000_000
    }

    public static let priorityNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    /// Parses a YAML document; `source` names it in errors.
    public static func parse(yaml text: String, source: String) throws -> AgentConfig {
        let node: YAMLNode?
        do { node = try YAMLNode.parse(text) } catch {
            throw AgentConfigError("\(source): \(error)")
        }
        do {
            guard let node else { throw AgentConfigError("the file is empty: it needs at least one input") }
            var reader = try ConfigReader(node, path: "")
            return try AgentConfig(reader: &reader)
        } catch let error as AgentConfigError {
            throw AgentConfigError("\(source): \(error.description)")
        }
    }

    public static func load(path: String) throws -> AgentConfig {
        guard let bytes = AgentFiles.readWholeFile(path) else {
            throw AgentConfigError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        return try parse(yaml: String(decoding: bytes, as: UTF8.self), source: path)
    }

    private init(reader root: inout ConfigReader) throws {
        host = try root.string("host") ?? Self.machineHostName()
        stateDirectory = try root.string("state_dir") ?? "/var/lib/sluice-agent"
        kafka = KafkaSettings()
        if var section = try root.mapping("kafka") {
            kafka.bootstrap = try section.string("bootstrap") ?? kafka.bootstrap
            kafka.compression = try section.string("compression", oneOf: ["zstd", "gzip", "lz4", "snappy", "none"]) ?? kafka.compression
            if section.has("compression_level") {
                kafka.compressionLevel = try section.int("compression_level", range: -1...22)
            } else if kafka.compression != "gzip" && kafka.compression != "zstd" {
                kafka.compressionLevel = nil
            }
            kafka.lingerNanoseconds = try section.duration("linger", range: 0...5_000_000_000) ?? kafka.lingerNanoseconds
            kafka.batchBytes = try section.bytes("batch_bytes", range: 1024...(16 << 20)) ?? kafka.batchBytes
            kafka.acks = try section.string("acks", oneOf: ["all", "1", "0", "-1"]) ?? kafka.acks
            kafka.librdkafka = try section.stringMap("librdkafka") ?? [:]
            try section.finish()
        }
        delivery = DeliverySettings()
        if var section = try root.mapping("delivery") {
            delivery.windowBytes = try section.bytes("window_bytes", range: (64 << 10)...(1 << 30)) ?? delivery.windowBytes
            delivery.windowEvents = try section.int("window_events", range: 1...10_000_000) ?? delivery.windowEvents
            delivery.retryBackoffNanoseconds = try section.duration("retry_backoff", range: 1_000_000...600_000_000_000) ?? delivery.retryBackoffNanoseconds
            delivery.shutdownTimeoutNanoseconds = try section.duration("shutdown_timeout", range: 0...3_600_000_000_000) ?? delivery.shutdownTimeoutNanoseconds
            try section.finish()
        }
        guard let inputReaders = try root.list("inputs"), !inputReaders.isEmpty else {
            throw AgentConfigError("inputs: at least one input is needed (type: file, journald or host_metrics)")
        }
        var inputs: [InputConfig] = []
        for var reader in inputReaders {
            let input = try InputConfig(reader: &reader, index: inputs.count)
            if inputs.contains(where: { $0.name == input.name }) {
                throw AgentConfigError("\(reader.path).name: '\(input.name)' is used by two inputs (names key the checkpoints)")
            }
            inputs.append(input)
        }
        self.inputs = inputs
        try root.finish()
    }

    static func machineHostName() -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        guard buffer.withUnsafeMutableBufferPointer({ gethostname($0.baseAddress!, 255) }) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// One input of the agent, by its `type`.
public enum InputConfig: Sendable {
    case file(FileInputConfig)
    case journald(JournaldInputConfig)
    case hostMetrics(HostMetricsInputConfig)

    public var name: String {
        switch self {
        case .file(let config): config.name
        case .journald(let config): config.name
        case .hostMetrics(let config): config.name
        }
    }

    init(reader: inout ConfigReader, index: Int) throws {
        guard let type = try reader.string("type", oneOf: ["file", "journald", "host_metrics"]) else {
            throw AgentConfigError("\(reader.path).type is required (file, journald or host_metrics)")
        }
        let name = try reader.string("name") ?? "\(type)-\(index)"
        guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\n" || $0 == "\t" }) else {
            throw AgentConfigError("\(reader.path).name must be a non-empty word")
        }
        let labels = Labels(try reader.stringMap("labels") ?? [:])
        switch type {
        case "file": self = .file(try FileInputConfig(reader: &reader, name: name, labels: labels))
        case "journald": self = .journald(try JournaldInputConfig(reader: &reader, name: name, labels: labels))
        default: self = .hostMetrics(try HostMetricsInputConfig(reader: &reader, name: name, labels: labels))
        }
        try reader.finish()
    }
}

/// Where a source with no checkpoint starts.
public enum StartPosition: String, Sendable {
    case beginning, end
}

public struct FileInputConfig: Sendable {
    public var name: String
    /// Shell globs of files to tail.
    public var paths: [String]
    /// Globs of files to skip (matched against the name, or the path when it has a `/`).
    public var exclude: [String] = []
    /// For files present at the first start, with no checkpoint (default end). Files that
    /// appear later are always read from their beginning.
    public var startAt: StartPosition = .end
    /// Longer lines are cut into marked parts of this size.
    public var maxLineBytes = 64 << 10
    public var multiline: MultilineConfig?
    public var labels: Labels
    /// Fallback wake-up when inotify says nothing (and the only one where it cannot work).
    public var pollIntervalNanoseconds: UInt64 = 1_000_000_000
    /// How long a rotated file is kept open at its end in case its writer still appends.
    public var rotateWaitNanoseconds: UInt64 = 5_000_000_000
    public var topic = "logs"

    init(reader: inout ConfigReader, name: String, labels: Labels) throws {
        self.name = name
        self.labels = labels
        guard let paths = try reader.strings("paths"), !paths.isEmpty else {
            throw AgentConfigError("\(reader.path).paths: at least one path or glob is needed")
        }
        for path in paths where !path.hasPrefix("/") {
            throw AgentConfigError("\(reader.path).paths: '\(path)' must be an absolute path")
        }
        self.paths = paths
        exclude = try reader.strings("exclude") ?? []
        if let start = try reader.string("start_at", oneOf: ["beginning", "end"]) { startAt = StartPosition(rawValue: start)! }
        maxLineBytes = try reader.bytes("max_line_bytes", range: 256...(16 << 20)) ?? maxLineBytes
        if var section = try reader.mapping("multiline") {
            multiline = try MultilineConfig(reader: &section)
            try section.finish()
        }
        pollIntervalNanoseconds = try reader.duration("poll_interval", range: 10_000_000...600_000_000_000) ?? pollIntervalNanoseconds
        rotateWaitNanoseconds = try reader.duration("rotate_wait", range: 0...3_600_000_000_000) ?? rotateWaitNanoseconds
        topic = try reader.string("topic") ?? topic
    }
}

public struct MultilineConfig: Sendable {
    /// A line matching this regular expression starts a new event; others continue it.
    public var startPattern: String
    public var timeoutNanoseconds: UInt64 = 1_000_000_000
    public var maxBytes = 1 << 20

    init(reader: inout ConfigReader) throws {
        guard let pattern = try reader.string("start_pattern") else {
            throw AgentConfigError("\(reader.path).start_pattern is required")
        }
        do { _ = try Regex(pattern) } catch {
            throw AgentConfigError("\(reader.path).start_pattern: not a valid regular expression: \(error)")
        }
        startPattern = pattern
        timeoutNanoseconds = try reader.duration("timeout", range: 1_000_000...600_000_000_000) ?? timeoutNanoseconds
        maxBytes = try reader.bytes("max_bytes", range: 1024...(64 << 20)) ?? maxBytes
    }
}

public struct JournaldInputConfig: Sendable {
    public var name: String
    /// A folder of journal files instead of the system journal.
    public var directory: String?
    /// Journal files instead of the system journal.
    public var files: [String]?
    public var units: [String] = []
    public var identifiers: [String] = []
    /// Keep entries of this priority or more urgent (0 emerg … 7 debug).
    public var maxPriority: Int?
    /// Where to start without a saved cursor (default end: only new entries).
    public var startAt: StartPosition = .end
    /// How often the cursor is saved when entries pass that the filters drop.
    public var checkpointIntervalNanoseconds: UInt64 = 5_000_000_000
    public var labels: Labels
    public var topic = "logs"

    init(reader: inout ConfigReader, name: String, labels: Labels) throws {
        self.name = name
        self.labels = labels
        directory = try reader.string("directory")
        files = try reader.strings("files")
        if directory != nil && files != nil {
            throw AgentConfigError("\(reader.path): give either directory or files, not both")
        }
        units = try reader.strings("units") ?? []
        identifiers = try reader.strings("identifiers") ?? []
        if let text = try reader.string("max_priority") {
            if let number = Int(text), (0...7).contains(number) {
                maxPriority = number
            } else if let index = AgentConfig.priorityNames.firstIndex(of: text.lowercased()) {
                maxPriority = index
            } else {
                throw AgentConfigError("\(reader.path).max_priority: '\(text)' is not 0-7 or one of \(AgentConfig.priorityNames.joined(separator: ", "))")
            }
        }
        if let start = try reader.string("start_at", oneOf: ["beginning", "end"]) { startAt = StartPosition(rawValue: start)! }
        checkpointIntervalNanoseconds = try reader.duration("checkpoint_interval", range: 100_000_000...3_600_000_000_000) ?? checkpointIntervalNanoseconds
        topic = try reader.string("topic") ?? topic
    }
}

public struct HostMetricsInputConfig: Sendable {
    public var name: String
    public var intervalNanoseconds: UInt64 = 10_000_000_000
    public var labels: Labels
    public var topic = "metrics"
    /// Most bytes of metric batches kept on disk while the broker is unreachable; past it
    /// the oldest are dropped and counted as a data gap.
    public var queueMaxBytes = 64 << 20
    public var procRoot = "/proc"
    public var sysRoot = "/sys"

    init(reader: inout ConfigReader, name: String, labels: Labels) throws {
        self.name = name
        self.labels = labels
        intervalNanoseconds = try reader.duration("interval", range: 100_000_000...3_600_000_000_000) ?? intervalNanoseconds
        topic = try reader.string("topic") ?? topic
        queueMaxBytes = try reader.bytes("queue_max_bytes", range: (64 << 10)...(1 << 40)) ?? queueMaxBytes
        procRoot = try reader.string("proc_root") ?? procRoot
        sysRoot = try reader.string("sys_root") ?? sysRoot
    }
}
