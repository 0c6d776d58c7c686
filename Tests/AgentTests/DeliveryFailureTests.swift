import Agent
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct DeliveryFailureTests {
    @Test func aRecordRefusedForGoodBecomesAGapEventAndTheStreamGoesOn() async throws {
        let directory = TemporaryDirectory()
        let log = directory.sub("app.log")
        try append(["small before", String(repeating: "x", count: 5000), "small after"], to: log)
        let agent = AgentHarness(directory)
        agent.sender.rejectLarger(than: 2000)
        try agent.start(inputs: "  - {type: file, paths: [\(log)], start_at: beginning}")
        #expect(await eventually { agent.sender.delivered.count == 3 })
        try await agent.stop()
        let events = agent.sender.delivered.map { try! JSONSerialization.jsonObject(with: Data($0.value)) as! [String: Any] }
        // The replacement goes out on the retry, after the rest of its batch.
        #expect(events.compactMap { $0["message"] as? String }.filter { $0.hasPrefix("small") } == ["small before", "small after"])
        let gap = events.first { $0["event"] as? String == "data_gap" }
        #expect(gap?["source"] as? String == "agent")
        #expect((gap?["gap_bytes"] as? Int ?? 0) > 5000)
        #expect(agent.runtime!.counters.value(.dataGaps) == 1)
    }

    @Test func shutdownDoesNotWaitForAnUnreachableBroker() async throws {
        let directory = TemporaryDirectory()
        let agent = AgentHarness(directory)
        agent.sender.hold()
        try agent.start(inputs: """
              - {type: host_metrics, interval: 100ms}
              - {type: file, paths: [\(directory.path)/*.log], start_at: beginning}
            """)
        try append((0..<100).map { "line \($0)" }, to: directory.sub("a.log"))
        #expect(await eventually { agent.sender.heldSends >= 2 })
        // Returns (after the drain timeout) although no send ever completes.
        try await agent.stop()
        #expect(agent.sender.delivered.isEmpty)
        agent.sender.release()
    }

    @Test func journalStartAtEndRemembersWhereTheEndWas() async throws {
        let directory = TemporaryDirectory()
        let journals = directory.sub("journal")
        try FileManager.default.createDirectory(atPath: journals, withIntermediateDirectories: true)
        var boot = JournalBoot(realtime: 1_795_000_000_000_000)
        let old = (0..<5).map { boot.entry([("MESSAGE", Array("old \($0)".utf8)), ("_SYSTEMD_UNIT", Array("a.service".utf8))]) }
        try JournalWriter.write(old, to: journals + "/first.journal")
        let agent = AgentHarness(directory)
        let input = "  - {type: journald, name: j, directory: \(journals)}"
        try agent.start(inputs: input)
        try await Task.sleep(nanoseconds: 500_000_000)
        try await agent.stop()
        #expect(agent.sender.delivered.isEmpty)

        // Entries written while the agent was stopped, before it ever shipped one.
        var later = JournalBoot(realtime: 1_795_000_100_000_000)
        let new = (0..<3).map { later.entry([("MESSAGE", Array("new \($0)".utf8)), ("_SYSTEMD_UNIT", Array("a.service".utf8))]) }
        try JournalWriter.write(new, to: journals + "/second.journal")
        try agent.start(inputs: input)
        #expect(await eventually { agent.sender.delivered.count == 3 })
        try await agent.stop()
        #expect(agent.sender.messages == ["new 0", "new 1", "new 2"])
    }
}
