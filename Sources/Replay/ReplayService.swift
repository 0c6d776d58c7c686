import Alerting
import Broker
import CommitLog
import KafkaWire
import Logging
import Processors
import PromQL
import SluiceModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Replay inside the appliance: reads a topic of the local commit log between two event
/// times (offsets-for-times, `TopicTimeRangeReader`) and either evaluates rules over it as
/// a backtest or re-publishes its records to another topic.
///
/// ```
/// commit log ─► TopicTimeRangeReader [from − warm-up, to] ─► ReplayBuffer (MetricProcessor.ingest
///   → a MetricStore of its own) ─► ReplayEvaluator (range-evaluated rules → RuleManager in event
///   time) ─► events: progress, transitions, summaries, done
/// ```
///
/// `prepare` checks a request and loads its rules, so that every mistake is refused before
/// a response begins; `run` does the work on the caller's thread (the HTTP API gives it a
/// thread of its own) and hands out events as they come.
///
/// Thread-safety: any thread; each run has its own buffer and rule manager. At most
/// `Configuration.maxConcurrentReplays` run at once, since each holds its window in memory.
public final class ReplayService: Sendable {
    public struct Configuration: Sendable {
        /// Rule files used when a request brings none (`rule_files`).
        public var ruleFilePatterns: [String] = AlertingConfiguration().ruleFiles
        /// Parent of the replays' temporary stores, emptied at start (`<data dir>/replay`).
        public var temporaryDirectory: String
        public var evaluation = ReplayEvaluator.Options()
        public var maxConcurrentReplays = 2
        /// Longest window (Loki's max_query_length, 721 h): a backtest holds its window's
        /// samples in memory (as Gorilla chunks).
        public var maxWindowMilliseconds: Int64 = 721 * 3_600_000

        public init(temporaryDirectory: String) {
            self.temporaryDirectory = temporaryDirectory
        }
    }

    /// A request that was checked, with its rules loaded and a replay slot taken.
    public final class PreparedReplay: Sendable {
        public let request: ReplayRequest
        let rules: ReplayRuleSet?
        private let release: @Sendable () -> Void

        init(request: ReplayRequest, rules: ReplayRuleSet?, release: @escaping @Sendable () -> Void) {
            self.request = request
            self.rules = rules
            self.release = release
        }

        /// The slot is given back when the replay is dropped, run or not.
        deinit { release() }
    }

    public let topics: TopicStore
    public let writer: LocalTopicWriter
    public let configuration: Configuration
    private let logger: Logger
    private let running = Mutex(0)
    private let sequence = Atomic<Int>(0)

    public init(topics: TopicStore, writer: LocalTopicWriter, configuration: Configuration, logger: Logger) {
        self.topics = topics
        self.writer = writer
        self.configuration = configuration
        self.logger = logger
        // Stores of replays that a crash interrupted.
        ReplayBuffer.removeTree(configuration.temporaryDirectory)
    }

    // MARK: Checking a request

    public func prepare(_ request: ReplayRequest) throws(ReplayError) -> PreparedReplay {
        guard request.from <= request.to else {
            throw ReplayError(.badRequest, "invalid time range: to (\(ReplayEvent.rfc3339(request.to))) is before from (\(ReplayEvent.rfc3339(request.from)))")
        }
        guard request.from.magnitude < 1 << 50, request.to.magnitude < 1 << 50 else {
            throw ReplayError(.badRequest, "time out of range")
        }
        guard request.to - request.from <= configuration.maxWindowMilliseconds else {
            throw ReplayError(.badRequest, "the window is longer than \(configuration.maxWindowMilliseconds / 3_600_000)h; replay it in parts")
        }
        guard topics.partitionCount(request.topic) != nil else {
            throw ReplayError(.notFound, "no topic named '\(request.topic)'")
        }
        if let into = request.intoTopic {
            guard TopicPartition.isValidTopicName(into) else { throw ReplayError(.badRequest, "invalid topic name '\(into)' for into_topic") }
            guard into != request.topic else {
                throw ReplayError(.badRequest, "into_topic must differ from topic '\(request.topic)'")
            }
        }
        var rules: ReplayRuleSet?
        if request.evaluatesRules {
            let files = try loadRules(request.rules)
            guard files.contains(where: { !$0.groups.isEmpty }) else {
                throw ReplayError(.badRequest, request.rules == nil
                    ? "no rules to replay: none sent and none configured (\(configuration.ruleFilePatterns.joined(separator: ", ")))"
                    : "no rule groups in the rule files sent")
            }
            rules = ReplayRuleSet(files: files, defaultIntervalMilliseconds: configuration.evaluation.defaultIntervalMilliseconds)
        }
        let limit = configuration.maxConcurrentReplays
        let admitted = running.withLock { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else { throw ReplayError(.busy, "\(limit) replays are running already; try again when one has finished") }
        return PreparedReplay(request: request, rules: rules) { [self] in running.withLock { $0 -= 1 } }
    }

    private func loadRules(_ texts: [ReplayRequest.RuleText]?) throws(ReplayError) -> [RuleFile] {
        let parser = RuleFileParser(evaluator: PromQLRuleEvaluator(engine: PromQLEngine(source: NoSamples())))
        do {
            guard let texts else { return try parser.load(patterns: configuration.ruleFilePatterns) }
            return try texts.map { text throws(RuleFileError) in try parser.parse(text.content, file: text.name) }
        } catch let error as RuleFileError {
            throw ReplayError(.badRequest, error.description)
        } catch {
            throw ReplayError(.badRequest, "\(error)")
        }
    }

    // MARK: Running

    /// Runs a prepared replay; `emit` gets every event in order and returns false to stop
    /// (the client went away). Ends with `.done` or `.error`.
    public func run(_ prepared: PreparedReplay, emit: (ReplayEvent) -> Bool) {
        withoutActuallyEscaping(emit) { emit in run(prepared, sink: EventSink(emit: emit)) }
    }

    /// Hands events on until the receiver declines one.
    private final class EventSink {
        let emit: (ReplayEvent) -> Bool
        var stopped = false

        init(emit: @escaping (ReplayEvent) -> Bool) { self.emit = emit }

        func send(_ event: ReplayEvent) -> Bool {
            if !stopped, !emit(event) { stopped = true }
            return !stopped
        }
    }

    private func run(_ prepared: PreparedReplay, sink: EventSink) {
        let started = ContinuousClock.now
        let request = prepared.request
        let send = sink.send
        let warmup = prepared.rules?.warmupMilliseconds(lookbackDelta: configuration.evaluation.lookbackDelta) ?? 0
        var totals = ReplayTotals(from: request.from, to: request.to, warmupFrom: request.from - warmup)
        do {
            if let into = request.intoTopic {
                totals.republished = try republish(request, into: into, send: send)
                totals.records = totals.republished
            }
            if let rules = prepared.rules, !sink.stopped {
                try backtest(request, rules: rules, warmup: warmup, totals: &totals, send: send)
            }
        } catch {
            logger.warning("replay failed", metadata: ["topic": "\(request.topic)", "error": "\(error)"])
            _ = send(.error("\(error)"))
            return
        }
        logger.info(sink.stopped ? "replay stopped by its client" : "replay done", metadata: [
            "topic": "\(request.topic)", "from": "\(ReplayEvent.rfc3339(request.from))", "to": "\(ReplayEvent.rfc3339(request.to))",
            "records": "\(totals.records)", "evaluations": "\(totals.evaluation.evaluations)",
            "transitions": "\(totals.evaluation.transitions)", "republished": "\(totals.republished)",
            "seconds": "\(Double(Int((ContinuousClock.now - started) / .milliseconds(1))) / 1000)"])
        if !sink.stopped { _ = send(.done(totals)) }
    }

    /// Copies the window's records to `into`, keeping keys and timestamps (not headers;
    /// records without a value, tombstones, are left out); fsyncs at the end.
    private func republish(_ request: ReplayRequest, into: String, send: (ReplayEvent) -> Bool) throws -> Int {
        var reader = try TopicTimeRangeReader(topics: topics, topic: request.topic, from: request.from, to: request.to)
        var written = 0
        while let run = try reader.nextRun() {
            let records = run.records.compactMap { record -> LocalTopicWriter.OutgoingRecord? in
                guard let value = record.value else { return nil }
                return (key: record.key, value: value, timestampMilliseconds: record.timestamp)
            }
            try writer.append(topic: into, records: records, durable: false)
            written += records.count
            guard send(.progress(progress(reader.progress, phase: .read))) else { return written }
        }
        for partition in 0..<(topics.partitionCount(into) ?? 0) {
            _ = try topics.partition(TopicPartition(topic: into, partition: partition))?.log.flush()
        }
        return written
    }

    /// Reads the window with its warm-up into a buffer, then evaluates the rules over it.
    private func backtest(_ request: ReplayRequest, rules: ReplayRuleSet, warmup: Int64, totals: inout ReplayTotals,
                          send: (ReplayEvent) -> Bool) throws {
        let directory = configuration.temporaryDirectory + "/" + String(getpid()) + "-"
            + String(sequence.wrappingAdd(1, ordering: .relaxed).newValue)
        let buffer = try ReplayBuffer(directory: directory, topics: topics, topic: request.topic, logger: logger)
        defer { buffer.close() }
        let readAhead = ReplayReadAhead(
            reader: try TopicTimeRangeReader(topics: topics, topic: request.topic, from: request.from - warmup, to: request.to))
        var read: TopicTimeRangeReader.Progress
        reading: while true {
            switch readAhead.next() {
            case .run(let partition, let records, let progress):
                do { try buffer.ingest(records, partition: partition) } catch {
                    readAhead.stop()
                    throw error
                }
                guard send(.progress(self.progress(progress, phase: .read))) else {
                    readAhead.stop()
                    return
                }
            case .end(let progress):
                read = progress
                break reading
            case .failure(let error):
                throw error
            }
        }
        let statistics = buffer.statistics
        totals.records = read.records
        totals.invalidRecords = statistics.invalidRecords
        totals.samples = statistics.samples

        let evaluator = ReplayEvaluator(rules: rules, source: buffer, options: configuration.evaluation) { time, samples in
            buffer.record(time: time, samples: samples)
        }
        var stopped = false
        let (summaries, evaluation) = evaluator.run(
            from: request.from, to: request.to, isCancelled: { stopped },
            onProgress: { progress in
                if !send(.progress(self.progress(read, phase: .evaluate, evaluation: progress))) { stopped = true }
            },
            onTransitions: { transitions in
                for transition in transitions where !stopped {
                    if !send(.transition(transition)) { stopped = true }
                }
            })
        totals.evaluation = evaluation
        guard !stopped else { return }
        for summary in summaries {
            guard send(.summary(summary)) else { return }
        }
    }

    private func progress(_ read: TopicTimeRangeReader.Progress, phase: ReplayProgress.Phase,
                          evaluation: ReplayEvaluator.Progress? = nil) -> ReplayProgress {
        // The total is an estimate from offsets; never show more read than in total.
        ReplayProgress(phase: phase, bytesRead: read.bytesRead, bytesTotal: max(read.bytesTotal, read.bytesRead),
                       records: read.records, evaluatedThrough: evaluation?.evaluatedThrough, fraction: evaluation?.fraction)
    }
}

/// A source with no samples: the rule file parser only parses expressions.
struct NoSamples: MetricSampleSource {
    func samples(matching matchers: [LabelMatcher], start: Int64, end: Int64) throws -> [MetricSeriesSamples] { [] }
}
