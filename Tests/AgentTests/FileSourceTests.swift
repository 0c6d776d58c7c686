import Agent
import Foundation
import Logging
import TestSupport
import Testing

/// Runs an agent with the given inputs against a `FakeSender`.
final class AgentHarness {
    let directory: TemporaryDirectory
    let sender = FakeSender()
    private var task: Task<Void, any Error>?
    private(set) var runtime: AgentRuntime?

    init(_ directory: TemporaryDirectory) { self.directory = directory }

    func start(inputs: String, delivery: String = "") throws {
        let yaml = """
            host: test-host
            state_dir: \(directory.sub("state"))
            delivery: {retry_backoff: 10ms, shutdown_timeout: 5s\(delivery)}
            inputs:
            \(inputs)
            """
        let config = try AgentConfig.parse(yaml: yaml, source: "test")
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let runtime = try AgentRuntime(config: config, sender: sender, logger: logger)
        self.runtime = runtime
        task = Task { try await runtime.run() }
    }

    func stop() async throws {
        task?.cancel()
        try await task?.value
        task = nil
    }
}

/// Appends lines to a file the way a logger does (O_APPEND, one write per line).
func append(_ lines: [String], to path: String) throws {
    let handle = FileHandle(forWritingAtPath: path) ?? {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return FileHandle(forWritingAtPath: path)!
    }()
    handle.seekToEndOfFile()
    for line in lines { handle.write(Data((line + "\n").utf8)) }
    handle.closeFile()
}

@Suite(.serialized) struct FileSourceTests {
    @Test func tailsFromTheBeginningAndResumesAfterARestartWithoutDuplicates() async throws {
        let directory = TemporaryDirectory()
        let log = directory.sub("app.log")
        try append((0..<500).map { "line \($0)" }, to: log)
        let agent = AgentHarness(directory)
        let input = "  - {type: file, name: app, paths: [\(directory.path)/*.log], start_at: beginning, labels: {service: app}}"
        try agent.start(inputs: input)
        #expect(await eventually { agent.sender.delivered.count == 500 })
        try append((500..<700).map { "line \($0)" }, to: log)
        #expect(await eventually { agent.sender.delivered.count == 700 })
        try await agent.stop()

        try append((700..<1000).map { "line \($0)" }, to: log)
        try agent.start(inputs: input)
        #expect(await eventually { agent.sender.delivered.count >= 1000 })
        try await agent.stop()
        #expect(agent.sender.messages == (0..<1000).map { "line \($0)" })

        let first = try JSONSerialization.jsonObject(with: Data(agent.sender.delivered[0].value)) as! [String: Any]
        #expect(first["host"] as? String == "test-host")
        #expect(first["source"] as? String == "file")
        #expect(first["file"] as? String == log)
        #expect(first["offset"] as? Int == 0)
        #expect((first["labels"] as? [String: String]) == ["service": "app"])
        #expect(String(decoding: agent.sender.delivered[0].key, as: UTF8.self) == "test-host")
    }

    @Test func startAtEndSkipsOldLinesButNotNewFiles() async throws {
        let directory = TemporaryDirectory()
        try append(["old"], to: directory.sub("a.log"))
        let agent = AgentHarness(directory)
        try agent.start(inputs: "  - {type: file, paths: [\(directory.path)/*.log], poll_interval: 50ms}")
        try await Task.sleep(nanoseconds: 300_000_000)
        try append(["new in a"], to: directory.sub("a.log"))
        try append(["first of b"], to: directory.sub("b.log"))
        #expect(await eventually { agent.sender.delivered.count == 2 })
        try await agent.stop()
        #expect(Set(agent.sender.messages) == ["new in a", "first of b"])
    }

    @Test func filesCreatedWhileStoppedAreReadFromTheirBeginning() async throws {
        let directory = TemporaryDirectory()
        try append(["before the first start"], to: directory.sub("a.log"))
        let agent = AgentHarness(directory)
        let input = "  - {type: file, name: app, paths: [\(directory.path)/*.log], poll_interval: 50ms}"
        try agent.start(inputs: input)
        try await Task.sleep(nanoseconds: 300_000_000)
        try await agent.stop()
        // start_at: end applies to the very first start only.
        try append(["written while stopped"], to: directory.sub("b.log"))
        try agent.start(inputs: input)
        #expect(await eventually { agent.sender.delivered.count == 1 })
        try await agent.stop()
        #expect(agent.sender.messages == ["written while stopped"])
    }

    @Test func copytruncateOvertakenByTheWriterWhileBusyLosesNothing() async throws {
        let directory = TemporaryDirectory()
        let log = directory.sub("app.log")
        let padding = String(repeating: "p", count: 90)
        let old = (0..<5000).map { "old \($0) \(padding)" }
        try append(old, to: log)
        let agent = AgentHarness(directory)
        agent.sender.hold()
        try agent.start(inputs: "  - {type: file, paths: [\(log)], start_at: beginning}",
                        delivery: ", window_bytes: 64KiB, window_events: 10")
        #expect(await eventually { agent.sender.heldSends > 0 })
        // copytruncate, then the writer writes more than the agent had read before it looks again.
        try FileManager.default.copyItem(atPath: log, toPath: directory.sub("app.log.1"))
        try FileHandle(forWritingAtPath: log)!.truncate(atOffset: 0)
        let new = (0..<6000).map { "new \($0) \(padding)" }
        try append(new, to: log)
        agent.sender.release()
        #expect(await eventually { agent.sender.delivered.count >= old.count + new.count })
        try await agent.stop()
        let delivered = agent.sender.messages
        #expect(Set(old + new).subtracting(delivered).isEmpty)
        #expect(agent.runtime!.counters.value(.dataGaps) == 0)
    }

    @Test func renameAndCreateRotationLosesNothing() async throws {
        let directory = TemporaryDirectory()
        let log = directory.sub("app.log")
        try append([], to: log)
        let agent = AgentHarness(directory)
        try agent.start(inputs: "  - {type: file, paths: [\(log)], start_at: beginning, rotate_wait: 200ms, poll_interval: 50ms}")
        var expected: [String] = []
        for round in 0..<5 {
            let lines = (0..<300).map { "round \(round) line \($0)" }
            try append(Array(lines[..<150]), to: log)
            // logrotate runs long after a file appears; let the agent see this one first.
            let seen = expected.count
            #expect(await eventually { agent.sender.delivered.count > seen })
            try FileManager.default.moveItem(atPath: log, toPath: directory.sub("app.log.\(round)"))
            // The writer still has the old file open for a moment after the rename.
            try append(Array(lines[150..<200]), to: directory.sub("app.log.\(round)"))
            try append(Array(lines[200...]), to: log)
            expected += lines
        }
        #expect(await eventually { agent.sender.delivered.count >= expected.count })
        try await agent.stop()
        let delivered = agent.sender.messages
        #expect(Set(expected).subtracting(delivered).sorted().prefix(5) == [])
        #expect(delivered.count == expected.count)
        #expect(agent.runtime!.counters.value(.dataGaps) == 0)
    }

    @Test func copytruncateWhileStoppedIsRecoveredFromTheCopy() async throws {
        let directory = TemporaryDirectory()
        let log = directory.sub("app.log")
        try append((0..<100).map { "line \($0)" }, to: log)
        let agent = AgentHarness(directory)
        let input = "  - {type: file, paths: [\(log)], start_at: beginning}"
        try agent.start(inputs: input)
        #expect(await eventually { agent.sender.delivered.count == 100 })
        try await agent.stop()

        // While the agent is stopped: more lines, then logrotate's copytruncate.
        try append((100..<150).map { "line \($0)" }, to: log)
        try FileManager.default.copyItem(atPath: log, toPath: directory.sub("app.log.1"))
        try FileHandle(forWritingAtPath: log)!.truncate(atOffset: 0)
        try append((150..<170).map { "line \($0)" }, to: log)

        try agent.start(inputs: input)
        #expect(await eventually { agent.sender.delivered.count >= 170 })
        try await agent.stop()
        #expect(agent.sender.messages == (0..<170).map { "line \($0)" })
        #expect(agent.runtime!.counters.value(.dataGaps) == 0)
    }

    @Test func truncationBeforeTheEndWasReadIsReportedAsAGap() async throws {
        let directory = TemporaryDirectory()
        let log = directory.sub("app.log")
        // More than one read (256 KiB), so most of it is still unread when reading stops.
        let padding = String(repeating: "p", count: 90)
        try append((0..<10_000).map { "line \($0) \(padding)" }, to: log)
        let agent = AgentHarness(directory)
        agent.sender.hold()
        try agent.start(inputs: "  - {type: file, paths: [\(log)], start_at: beginning}",
                        delivery: ", window_bytes: 64KiB, window_events: 10")
        #expect(await eventually { agent.sender.heldSends > 0 })
        try await Task.sleep(nanoseconds: 100_000_000)
        // Truncated with no copy while most of it is unread (the broker is down).
        try FileHandle(forWritingAtPath: log)!.truncate(atOffset: 0)
        try append(["fresh"], to: log)
        agent.sender.release()
        #expect(await eventually { agent.sender.messages.contains("fresh") })
        try await agent.stop()
        #expect(agent.runtime!.counters.value(.dataGaps) == 1)
        let gap = agent.sender.delivered.compactMap { try? JSONSerialization.jsonObject(with: Data($0.value)) as? [String: Any] }
            .first { $0["event"] as? String == "data_gap" }
        #expect(gap?["source"] as? String == "agent")
        #expect(gap?["file"] as? String == log)
        let delivered = agent.sender.messages.filter { $0.hasPrefix("line ") }.count
        #expect((gap?["gap_bytes"] as? Int ?? 0) > 0)
        #expect(delivered < 10_000)
    }

    @Test func aBrokerOutageStopsReadingAndEverythingArrivesAfterIt() async throws {
        let directory = TemporaryDirectory()
        let log = directory.sub("app.log")
        try append([], to: log)
        let agent = AgentHarness(directory)
        agent.sender.hold()
        try agent.start(inputs: "  - {type: file, paths: [\(log)], start_at: beginning}",
                        delivery: ", window_bytes: 64KiB, window_events: 100")
        let lines = (0..<2000).map { "during the outage \($0)" }
        try append(lines, to: log)
        #expect(await eventually { agent.sender.heldSends > 0 })
        try await Task.sleep(nanoseconds: 200_000_000)
        // Reading stopped at the window: at most 100 events are out, the rest wait in the file.
        #expect(agent.runtime!.shipper.window.used.events <= 100)
        agent.sender.release()
        #expect(await eventually { agent.sender.delivered.count == 2000 })
        try await agent.stop()
        #expect(agent.sender.messages == lines)
    }

    @Test func refusedRecordsAreSentAgain() async throws {
        let directory = TemporaryDirectory()
        let log = directory.sub("app.log")
        try append((0..<50).map { "line \($0)" }, to: log)
        let agent = AgentHarness(directory)
        agent.sender.refuse(next: 20)
        try agent.start(inputs: "  - {type: file, paths: [\(log)], start_at: beginning}")
        #expect(await eventually { agent.sender.delivered.count == 50 })
        try await agent.stop()
        #expect(Set(agent.sender.messages) == Set((0..<50).map { "line \($0)" }))
        #expect(agent.runtime!.counters.value(.sendFailures) == 20)
    }

    @Test func multilineEventsLongLinesAndInvalidUTF8() async throws {
        let directory = TemporaryDirectory()
        let log = directory.sub("app.log")
        var text = "2026-11-22 06:00:00 ERROR failed\njava.lang.RuntimeException: x\n\tat A.b(A.java:1)\n"
        text += "2026-11-22 06:00:01 INFO " + String(repeating: "y", count: 600) + "\n"
        var bytes = Array(text.utf8)
        bytes += Array("2026-11-22 06:00:02 bad ".utf8) + [0xFF, 0xFE] + [0x0A]
        _ = FileManager.default.createFile(atPath: log, contents: Data(bytes))
        let agent = AgentHarness(directory)
        try agent.start(inputs: """
              - type: file
                paths: [\(log)]
                start_at: beginning
                max_line_bytes: 256
                multiline: {start_pattern: '^\\d{4}-', timeout: 100ms}
            """)
        #expect(await eventually { agent.sender.delivered.count == 5 })
        try await agent.stop()
        let events = agent.sender.delivered.map { try! JSONSerialization.jsonObject(with: Data($0.value)) as! [String: Any] }
        #expect(events[0]["message"] as? String == "2026-11-22 06:00:00 ERROR failed\njava.lang.RuntimeException: x\n\tat A.b(A.java:1)")
        #expect(events[1]["split_part"] as? Int == 1)
        #expect(events[3]["split_last"] as? Bool == true)
        #expect([1, 2, 3].map { events[$0]["message"] as! String }.joined() == "2026-11-22 06:00:01 INFO " + String(repeating: "y", count: 600))
        #expect(events[4]["message"] as? String == "2026-11-22 06:00:02 bad \\xff\\xfe")
        #expect(events[4]["invalid_utf8"] as? Bool == true)
    }
}
