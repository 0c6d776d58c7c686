import Broker
import CommitLog
import Foundation
import HTTPAPI
import Hummingbird
import HummingbirdTesting
import KafkaWire
import LogQL
import LogStore
import Logging
import Pipeline
import Processors
import SluiceModel
import TestSupport

/// The appliance's log path without sockets: a real commit log, the default pipeline run
/// by the real processor into a real log store, and the HTTP routes tested in-process.
final class LokiAPIHarness: @unchecked Sendable {
    let directory = TemporaryDirectory("loki-api-harness")
    let topics: TopicStore
    let writer: LocalTopicWriter
    let store: LogStore
    let processor: LogProcessor
    let pipeline: LogPipeline
    var now = Timestamp(nanosecondsSinceEpoch: 1_700_000_000_000_000_000 + 3_600_000_000_000)

    init(pipelines: [PipelineConfig] = PipelineConfig.embeddedDefault) throws {
        topics = TopicStore(logs: try LogDirectory(path: directory.sub("log")))
        writer = LocalTopicWriter(topics: topics, defaultPartitions: 2)
        var configuration = LogStoreConfiguration(directory: directory.sub("store"))
        configuration.blockTargetBytes = 4096  // many small blocks, so skipping is exercised
        store = try LogStore(configuration: configuration, now: { Timestamp(nanosecondsSinceEpoch: 1_700_000_000_000_000_000) })
        let built = try pipelines.map { try $0.build() }
        pipeline = built[0]
        processor = try LogProcessor(pipelines: built, topics: topics, index: LogStoreIndex(store: store), defaultPartitions: 2,
                                     logger: Logger(label: "test"))
    }

    /// Produces events as the agent would (a JSON log event per record, keyed by host).
    func produce(_ events: [SluiceModel.LogEvent]) throws {
        try writer.append(topic: "logs", records: events.map {
            (key: Array($0.host.utf8), value: $0.encodeJSON(), timestampMilliseconds: $0.timestamp.millisecondsSinceEpoch)
        }, durable: false)
    }

    /// Runs the processor until every record is processed.
    func process() throws {
        var metrics = LogMetricsAggregator()
        for pipeline in processor.pipelines {
            while try processor.processAvailable(pipeline, metrics: &metrics) {}
        }
    }

    /// What the pipeline makes of every record in the `logs` topic, computed directly
    /// from the commit log: the entries a correct store must hold.
    func expectedEntries() throws -> [LogEntry] {
        var entries: [LogEntry] = []
        var metrics = LogMetricsAggregator()
        for partition in 0..<(topics.partitionCount("logs") ?? 0) {
            let log = topics.partition(TopicPartition(topic: "logs", partition: partition))!.log
            var offset = log.logStartOffset
            while offset < log.logEndOffset {
                let read = try log.read(from: offset, maxBytes: 1 << 20)
                let records = try read.bytes.withUnsafeBytes { try RecordBatch.records(inBatches: $0) }
                for record in records where record.offset >= offset {
                    let event = EventDecoder.decode(value: record.value ?? [], key: record.key,
                                                    recordTimestamp: Timestamp(nanosecondsSinceEpoch: record.timestamp * 1_000_000))
                    let origin = RecordOrigin(topic: "logs", partition: partition, offset: record.offset)
                    if case .store(let entry) = pipeline.process(event, origin: origin, metrics: &metrics) { entries.append(entry) }
                }
                offset = records.last.map { $0.offset + 1 } ?? log.logEndOffset
            }
        }
        return entries
    }

    func application() -> some ApplicationProtocol {
        let now = self.now
        let dependencies = HTTPAPIDependencies(
            engine: LogQLEngine(source: store, limits: HTTPAPIConfiguration().engineLimits), source: store, writer: writer,
            metrics: [ProcessorMetrics(processor: processor), LogStoreMetrics(store: store)],
            isReady: { true }, now: { now })
        return Application(router: HTTPServer.makeRouter(dependencies: dependencies, configuration: HTTPAPIConfiguration()))
    }
}

/// `a=1&b=x y` with every reserved byte percent-encoded.
func formEncode(_ parameters: [(String, String)]) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return parameters.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
}

/// Decodes a Loki answer back into the engine's result type, for exact comparison.
func decodeLokiResult(_ body: ByteBuffer) throws -> LogQLResult {
    let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as! [String: Any]
    guard object["status"] as? String == "success", let data = object["data"] as? [String: Any] else {
        throw DecodingFailure(description: "not a success: \(object)")
    }
    func labels(_ value: Any?) -> Labels { Labels(value as? [String: String] ?? [:]) }
    func point(_ pair: [Any]) -> LogQLPoint {
        let seconds = (pair[0] as! NSNumber).doubleValue
        let value = Double(pair[1] as! String)!
        return LogQLPoint(timestamp: Timestamp(nanosecondsSinceEpoch: Int64((seconds * 1000).rounded()) * 1_000_000), value: value)
    }
    let result = data["result"] as? [[String: Any]] ?? []
    switch data["resultType"] as? String {
    case "streams":
        return .streams(result.map { stream in
            LogQLStream(labels: labels(stream["stream"]), entries: (stream["values"] as! [[String]]).map {
                LogQLStreamEntry(timestamp: Timestamp(nanosecondsSinceEpoch: Int64($0[0])!), line: Array($0[1].utf8))
            })
        })
    case "matrix":
        return .matrix(result.map { LogQLSeries(labels: labels($0["metric"]), points: ($0["values"] as! [[Any]]).map(point)) })
    case "vector":
        return .vector(result.map { LogQLSample(labels: labels($0["metric"]), point: point($0["value"] as! [Any])) })
    default:
        throw DecodingFailure(description: "unknown result type in \(object)")
    }
}

struct DecodingFailure: Error, CustomStringConvertible { var description: String }

func jsonObject(_ body: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
}
