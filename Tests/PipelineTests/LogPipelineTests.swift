import Foundation
import Pipeline
import SluiceModel
import Testing

/// The steps and label promotion, on events as the agent ships them.
@Suite struct LogPipelineTests {
    let origin = RecordOrigin(topic: "logs", partition: 0, offset: 7)

    func agentEvent(_ message: String, fields: [LogField] = [LogField("file", .string("/var/log/app.log"))],
                    labels: Labels = ["service": "api"]) -> PipelineEvent {
        let event = LogEvent(timestamp: at("2026-11-22T06:00:00Z"), host: "web-1", source: "file",
                             message: Array(message.utf8), fields: fields, labels: labels)
        return EventDecoder.decode(value: event.encodeJSON(), key: Array("web-1".utf8), recordTimestamp: at("2026-11-22T06:00:01Z"))
    }

    func run(_ steps: [StepConfig], _ event: PipelineEvent, labels: [String] = LogPipeline.defaultLabelNames) throws -> LogPipeline.Outcome {
        let pipeline = try PipelineConfig(name: "test", labels: labels, steps: steps).build()
        var metrics = LogMetricsAggregator()
        return pipeline.process(event, origin: origin, metrics: &metrics)
    }

    func stored(_ outcome: LogPipeline.Outcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> LogEntry {
        guard case .store(let entry) = outcome else {
            Issue.record("expected a stored entry, got \(outcome)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        return entry
    }

    @Test func decodesAgentEvents() {
        let event = agentEvent("hello")
        #expect(event.timestamp == at("2026-11-22T06:00:00Z"))
        #expect(event.message == Array("hello".utf8))
        #expect(event.fields["host"] == "web-1")
        #expect(event.fields["source"] == "file")
        #expect(event.fields["file"] == "/var/log/app.log")
        #expect(event.labels == ["service": "api"])
    }

    @Test func plainLinesAreWrappedWithRecordTimeAndKeyAsHost() {
        let event = EventDecoder.decode(value: Array("plain text line".utf8), key: Array("db-2".utf8), recordTimestamp: at("2026-11-22T06:00:01Z"))
        #expect(event.message == Array("plain text line".utf8))
        #expect(event.timestamp == at("2026-11-22T06:00:01Z"))
        #expect(event.fields["host"] == "db-2")
        #expect(event.fields["source"] == "kafka")
        // A JSON object that is no log event (no string message) is a line too.
        let json = EventDecoder.decode(value: Array(#"{"msg":"x","level":"info"}"#.utf8), key: nil, recordTimestamp: at("2026-11-22T06:00:01Z"))
        #expect(json.message == Array(#"{"msg":"x","level":"info"}"#.utf8))
    }

    @Test func defaultPipelineParsesTimesLevelsAndPromotesLabels() throws {
        let line = #"{"ts":"2026-11-22T05:59:58.5Z","level":"WARN","msg":"slow query","duration_ms":812,"db":{"table":"orders"}}"#
        let entry = try stored(try run(PipelineConfig.defaultSteps, agentEvent(line)))
        #expect(entry.timestamp == at("2026-11-22T05:59:58.5Z"))
        #expect(entry.line == Array(line.utf8), "the stored line is the raw message")
        #expect(entry.stream == ["host": "web-1", "source": "file", "service": "api", "level": "warning", "file": "/var/log/app.log"])
        #expect(entry.metadata["duration_ms"] == "812")
        #expect(entry.metadata["db_table"] == "orders", "dotted names become valid label names")
        #expect(entry.metadata["msg"] == "slow query")
        #expect(entry.metadata["parse_error"] == nil)
        #expect(entry.origin == origin)
    }

    @Test func unparsableLinesAreKeptWithAMarker() throws {
        let entry = try stored(try run(PipelineConfig.defaultSteps, agentEvent("just words, nothing to parse")))
        #expect(entry.line == Array("just words, nothing to parse".utf8))
        #expect(entry.metadata["parse_error"] == "no known format")
        let strict = try stored(try run([.parse(format: "json", pattern: nil, field: "message")], agentEvent("level=info msg=hi")))
        #expect(strict.metadata["parse_error"] == "not json")
    }

    @Test func syslogAndAccessLogsGetFieldsAndLevels() throws {
        let syslog = try stored(try run(PipelineConfig.defaultSteps, agentEvent(Samples.syslog5424[0])))
        #expect(syslog.metadata["parse_error"] == nil)
        #expect(syslog.stream["level"] != nil)
        let access = try stored(try run(PipelineConfig.defaultSteps, agentEvent(Samples.combined[0])))
        #expect(access.metadata["status"] == "200")
        #expect(access.metadata["method"] == "GET")
        #expect(access.timestamp == at("2026-11-22T06:16:27Z"))
    }

    @Test func journaldPriorityBecomesLevel() throws {
        let event = agentEvent("disk almost full", fields: [LogField("unit", .string("nginx.service")), LogField("priority", .int(3)),
                                                           LogField("cursor", .string("s=abc;i=1"))])
        let entry = try stored(try run(PipelineConfig.defaultSteps, event))
        #expect(entry.stream["level"] == "error")
        #expect(entry.stream["unit"] == "nginx.service")
        #expect(entry.metadata["cursor"] == nil, "the default pipeline drops journald cursors")
        #expect(entry.metadata["priority"] == "3")
    }

    @Test func parsedNamesNeverOverwriteTheShippersFields() throws {
        let entry = try stored(try run([.parse(format: "logfmt", pattern: nil, field: "message")],
                                       agentEvent("host=evil file=/etc/passwd msg=x")))
        #expect(entry.stream["host"] == "web-1")
        #expect(entry.stream["file"] == "/var/log/app.log")
        #expect(entry.metadata["host_extracted"] == "evil")
        #expect(entry.metadata["file_extracted"] == "/etc/passwd")
    }

    @Test func addRenameDrop() throws {
        let steps: [StepConfig] = [
            .parse(format: "logfmt", pattern: nil, field: "message"),
            .add(fields: [("env", "prod"), ("service", "overridden")], overwrite: false),
            .rename(fields: [("user", "user_id"), ("absent", "x")]),
            .drop(names: ["secret"]),
        ]
        let entry = try stored(try run(steps, agentEvent("user=42 secret=hunter2 msg=ok")))
        #expect(entry.metadata["env"] == "prod")
        #expect(entry.stream["service"] == "api", "overwrite: false keeps the label the agent set")
        #expect(entry.metadata["user_id"] == "42")
        #expect(entry.metadata["user"] == nil)
        #expect(entry.metadata["secret"] == nil)
        #expect(entry.metadata["x"] == nil)
    }

    @Test func filterKeepsOrDrops() throws {
        let keepErrors: [StepConfig] = [.parse(format: "logfmt", pattern: nil, field: "message"),
                                         .filter(when: Conditions([FieldCondition(field: "status", test: .greaterThan(499))]), keepMatching: true)]
        guard case .dropped = try run(keepErrors, agentEvent("status=200 msg=ok")) else { Issue.record("200 should be dropped"); return }
        _ = try stored(try run(keepErrors, agentEvent("status=503 msg=bad")))
        let dropDebug: [StepConfig] = [.level(field: nil), .parse(format: "logfmt", pattern: nil, field: "message"), .level(field: nil),
                                       .filter(when: Conditions([FieldCondition(field: "level", test: .equals("debug"))]), keepMatching: false)]
        guard case .dropped = try run(dropDebug, agentEvent("level=DEBUG msg=noise")) else { Issue.record("debug should be dropped"); return }
        _ = try stored(try run(dropDebug, agentEvent("level=info msg=signal")))
    }

    @Test func routeMovesOrCopies() throws {
        let condition = Conditions([FieldCondition(field: "message", test: .matches(try Regex("(?i)failed password")))])
        let move = try run([.route(when: condition, topic: "security", keep: false)], agentEvent("Failed password for root"))
        guard case .routed(let targets, let kept) = move else { Issue.record("expected routing"); return }
        #expect(targets.map(\.topic) == ["security"])
        #expect(kept == nil)
        let routedJSON = targets[0].event.encodeJSON()
        let again = EventDecoder.decode(value: routedJSON, key: nil, recordTimestamp: at("2030-01-01T00:00:00Z"))
        #expect(again.message == Array("Failed password for root".utf8))
        #expect(again.timestamp == at("2026-11-22T06:00:00Z"))
        #expect(again.labels == ["service": "api"])
        let copy = try run([.route(when: condition, topic: "security", keep: true)], agentEvent("Failed password for bob"))
        guard case .routed(_, let keptCopy) = copy else { Issue.record("expected routing"); return }
        #expect(keptCopy != nil)
        _ = try stored(try run([.route(when: condition, topic: "security", keep: false)], agentEvent("Accepted publickey")))
    }

    @Test func logsToMetricsCountsAndSums() throws {
        let pipeline = try PipelineConfig(name: "m", steps: [
            .parse(format: "combined", pattern: nil, field: "message"),
            .metric(name: "http_requests_total", kind: .counter, when: Conditions([]), field: nil, labels: ["status", "host"]),
            .metric(name: "http_response_bytes_total", kind: .sum, when: Conditions([FieldCondition(field: "status", test: .lessThan(400))]),
                    field: "body_bytes_sent", labels: []),
        ]).build()
        var metrics = LogMetricsAggregator()
        for line in Samples.combined { _ = pipeline.process(agentEvent(line), origin: origin, metrics: &metrics) }
        let snapshot = metrics.snapshotIfChanged()
        let samples = try #require(snapshot)
        let again = metrics.snapshotIfChanged()
        #expect(again == nil, "nothing changed since")
        let parsedLines = Samples.combined.compactMap { AccessLogParser().parse($0, now: sampleNow) }
        var expectedCounts: [String: Double] = [:]
        var expectedBytes = 0.0
        for result in parsedLines {
            expectedCounts[result.fields["status"]!.text, default: 0] += 1
            if case .int(let status)? = result.fields["status"], status < 400, case .int(let bytes)? = result.fields["body_bytes_sent"] {
                expectedBytes += Double(bytes)
            }
        }
        let counts = Dictionary(uniqueKeysWithValues: samples.filter { $0.name == "http_requests_total" }.map { ($0.labels["status"]!, $0.value) })
        #expect(counts == expectedCounts)
        #expect(samples.filter { $0.name == "http_requests_total" }.allSatisfy { $0.labels["host"] == "web-1" })
        #expect(samples.first { $0.name == "http_response_bytes_total" }?.value == expectedBytes)
    }

    @Test func regexParseAndConfiguredLabels() throws {
        let steps: [StepConfig] = [.parse(format: "regex", pattern: #"^(?P<client>\S+) (?P<verb>[A-Z]+) (?P<code>\d{3})"#, field: "message")]
        let entry = try stored(try run(steps, agentEvent("10.1.2.3 GET 404 /missing"), labels: ["host", "verb"]))
        #expect(entry.stream == ["host": "web-1", "verb": "GET", "service": "api"])
        #expect(entry.metadata["code"] == "404")
        #expect(entry.metadata["source"] == "file", "not promoted here, so a field")
    }
}

/// The YAML shape of pipelines, decoded here from JSON (the same Decodable path Yams uses).
@Suite struct PipelineConfigTests {
    func decode(_ json: String) throws -> [PipelineConfig] {
        try JSONDecoder().decode([PipelineConfig].self, from: Data(json.utf8))
    }

    @Test func everyStepTypeDecodesAndBuilds() throws {
        let configs = try decode("""
        [{"name": "logs", "topics": ["logs", "app"], "labels": ["host", "level"], "steps": [
          {"type": "parse", "format": "auto"},
          {"type": "parse", "format": "regex", "pattern": "(?P<a>x)", "field": "msg"},
          {"type": "timestamp", "field": "ts"},
          {"type": "level"},
          {"type": "add", "fields": {"env": "prod"}, "overwrite": false},
          {"type": "rename", "fields": {"a": "b"}},
          {"type": "drop", "fields": ["c"]},
          {"type": "filter", "when": {"field": "level", "equals": "debug"}, "action": "drop"},
          {"type": "route", "when": [{"field": "a", "exists": true}, {"field": "b", "matches": "^x"}], "topic": "other", "keep": true},
          {"type": "metric", "name": "errors_total", "when": {"field": "level", "equals": "error"}, "labels": ["host"]},
          {"type": "metric", "name": "bytes_total", "kind": "sum", "field": "bytes"}
        ]}]
        """)
        let pipeline = try configs[0].build()
        #expect(pipeline.steps.count == 11)
        #expect(pipeline.topics == ["logs", "app"])
        #expect(pipeline.labelNames == ["host", "level"])
    }

    @Test func defaultsWhenOmitted() throws {
        let pipeline = try decode(#"[{"name": "logs"}]"#)[0].build()
        #expect(pipeline.topics == ["logs"])
        #expect(pipeline.labelNames == LogPipeline.defaultLabelNames)
        #expect(pipeline.steps.count == PipelineConfig.defaultSteps.count)
    }

    @Test(arguments: [
        (#"[{"name": "x", "stepz": []}]"#, "unknown key 'stepz'"),
        (#"[{"name": "x", "steps": [{"type": "parse", "formt": "json"}]}]"#, "unknown key"),
        (#"[{"name": "x", "steps": [{"type": "explode"}]}]"#, "unknown step type 'explode'"),
        (#"[{"name": "x", "steps": [{"type": "filter", "when": {"field": "a", "equals": "1", "matches": "2"}}]}]"#, "exactly one of"),
        (#"[{"name": "x", "steps": [{"type": "filter", "when": {"field": "a", "matches": "(unclosed"}}]}]"#, "invalid regex"),
        (#"[{"name": "x", "steps": [{"type": "filter", "when": {"field": "a", "equals": "1"}, "action": "maybe"}]}]"#, "keep or drop"),
    ])
    func refusesBadConfigs(json: String, expected: String) {
        do {
            _ = try decode(json)
            Issue.record("accepted \(json)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test(arguments: [
        (StepConfig.parse(format: "xml", pattern: nil, field: "message"), "unknown format 'xml'"),
        (StepConfig.parse(format: "regex", pattern: nil, field: "message"), "needs a pattern"),
        (StepConfig.parse(format: "regex", pattern: "(no names)", field: "message"), "no named captures"),
        (StepConfig.metric(name: "bad-name", kind: .counter, when: Conditions([]), field: nil, labels: []), "not a valid Prometheus name"),
        (StepConfig.metric(name: "sum_total", kind: .sum, when: Conditions([]), field: nil, labels: []), "needs a field"),
    ])
    func refusesStepsThatCannotWork(step: StepConfig, expected: String) {
        do {
            _ = try PipelineConfig(name: "p", steps: [step]).build()
            Issue.record("built \(step)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
            #expect("\(error)".contains("pipeline p, step 1"), "\(error)")
        }
    }
}
