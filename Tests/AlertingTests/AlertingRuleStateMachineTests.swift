import SluiceModel
import Testing
@testable import Alerting

/// The alert lifecycle of one rule, with evaluation times chosen by the test.
@Suite struct AlertingRuleStateMachineTests {
    static let t0: Int64 = 1_700_000_000_000
    static let minute: Int64 = 60_000
    static let series: Labels = ["__name__": "cpu_busy", "host": "h1", "instance": "h1:9100"]

    static func rule(hold: Int64 = 5 * minute, keepFiringFor: Int64 = 0) throws -> AlertingRuleDefinition {
        AlertingRuleDefinition(
            name: "HighCPU", expression: "cpu_busy > 0.9", holdMilliseconds: hold, keepFiringForMilliseconds: keepFiringFor,
            labels: [("severity", try AlertTemplate("page")), ("node", try AlertTemplate("{{ $labels.host }}"))],
            annotations: [("summary", try AlertTemplate("CPU of {{ $labels.host }} at {{ $value | humanizePercentage }}"))])
    }

    static func machine(hold: Int64 = 5 * minute, keepFiringFor: Int64 = 0) throws -> AlertingRuleStateMachine {
        AlertingRuleStateMachine(rule: try rule(hold: hold, keepFiringFor: keepFiringFor), group: "node", file: "node.yml")
    }

    static let alertLabels: Labels = ["alertname": "HighCPU", "host": "h1", "instance": "h1:9100", "node": "h1", "severity": "page"]

    @Test func pendingUntilForThenFiring() throws {
        var machine = try Self.machine()
        let first = try machine.apply([(Self.series, 0.95)], at: Self.t0)
        #expect(first.transitions.map { [$0.from, $0.to] } == [[.inactive, .pending]])
        #expect(first.transitions.first?.labels == Self.alertLabels)
        #expect(first.transitions.first?.annotations == ["summary": "CPU of h1 at 95%"])
        #expect(machine.alerts[Self.alertLabels]?.activeAt == Self.t0)

        for step in 1...4 {
            let outcome = try machine.apply([(Self.series, 0.9 + Double(step) / 100)], at: Self.t0 + Int64(step) * Self.minute)
            #expect(outcome.transitions.isEmpty)
            #expect(machine.alerts[Self.alertLabels]?.state == .pending)
        }
        #expect(machine.alerts[Self.alertLabels]?.value == 0.9 + 4.0 / 100)
        let fired = try machine.apply([(Self.series, 0.97)], at: Self.t0 + 5 * Self.minute)
        #expect(fired.transitions.map { [$0.from, $0.to] } == [[.pending, .firing]])
        let alert = try #require(machine.alerts[Self.alertLabels])
        #expect(alert.state == .firing)
        #expect(alert.activeAt == Self.t0)
        #expect(alert.firedAt == Self.t0 + 5 * Self.minute)
        #expect(alert.annotations == ["summary": "CPU of h1 at 97%"])
        #expect(machine.state == .firing)
    }

    @Test func forZeroFiresAtOnce() throws {
        var machine = try Self.machine(hold: 0)
        let outcome = try machine.apply([(Self.series, 1)], at: Self.t0)
        #expect(outcome.transitions.map { [$0.from, $0.to] } == [[.inactive, .firing]])
        #expect(machine.alerts[Self.alertLabels]?.firedAt == Self.t0)
    }

    @Test func pendingAlertIsDeletedNotResolved() throws {
        var machine = try Self.machine()
        _ = try machine.apply([(Self.series, 0.95)], at: Self.t0)
        let outcome = try machine.apply([], at: Self.t0 + 10_000)
        #expect(outcome.transitions.map { [$0.from, $0.to] } == [[.pending, .inactive]])
        #expect(outcome.transitions.first?.value == 0.95)
        #expect(machine.alerts.isEmpty)
        // Coming back starts the timer again.
        _ = try machine.apply([(Self.series, 0.95)], at: Self.t0 + 20_000)
        #expect(machine.alerts[Self.alertLabels]?.activeAt == Self.t0 + 20_000)
    }

    @Test func resolutionIsKeptFifteenMinutesThenDropped() throws {
        var machine = try Self.machine(hold: 0)
        _ = try machine.apply([(Self.series, 0.95)], at: Self.t0)
        let resolved = try machine.apply([], at: Self.t0 + Self.minute)
        #expect(resolved.transitions.map { [$0.from, $0.to] } == [[.firing, .resolved]])
        let alert = try #require(machine.alerts[Self.alertLabels])
        #expect(alert.state == .resolved)
        #expect(alert.resolvedAt == Self.t0 + Self.minute)
        #expect(machine.activeAlerts.isEmpty)
        #expect(machine.state == .resolved)
        // Still held at exactly 15 minutes, gone after, and leaving says nothing.
        #expect(try machine.apply([], at: Self.t0 + 16 * Self.minute).transitions.isEmpty)
        #expect(machine.alerts[Self.alertLabels] != nil)
        #expect(try machine.apply([], at: Self.t0 + 16 * Self.minute + 1).transitions.isEmpty)
        #expect(machine.alerts.isEmpty)
    }

    @Test func refiringAfterResolutionStartsANewPendingCycle() throws {
        var machine = try Self.machine(hold: 2 * Self.minute)
        _ = try machine.apply([(Self.series, 0.95)], at: Self.t0)
        _ = try machine.apply([(Self.series, 0.95)], at: Self.t0 + 2 * Self.minute)
        _ = try machine.apply([], at: Self.t0 + 3 * Self.minute)
        #expect(machine.alerts[Self.alertLabels]?.state == .resolved)
        let back = try machine.apply([(Self.series, 0.99)], at: Self.t0 + 4 * Self.minute)
        #expect(back.transitions.map { [$0.from, $0.to] } == [[.resolved, .pending]])
        let alert = try #require(machine.alerts[Self.alertLabels])
        #expect(alert.activeAt == Self.t0 + 4 * Self.minute)
        #expect(alert.firedAt == nil && alert.resolvedAt == nil)
        #expect(try machine.apply([(Self.series, 0.99)], at: Self.t0 + 5 * Self.minute).transitions.isEmpty)
        let fired = try machine.apply([(Self.series, 0.99)], at: Self.t0 + 6 * Self.minute)
        #expect(fired.transitions.map { [$0.from, $0.to] } == [[.pending, .firing]])
    }

    @Test func keepFiringForHoldsAFiringAlert() throws {
        var machine = try Self.machine(hold: 0, keepFiringFor: 3 * Self.minute)
        _ = try machine.apply([(Self.series, 0.95)], at: Self.t0)
        // The condition stops: still firing, since the first missing evaluation.
        #expect(try machine.apply([], at: Self.t0 + Self.minute).transitions.isEmpty)
        #expect(machine.alerts[Self.alertLabels]?.keepFiringSince == Self.t0 + Self.minute)
        #expect(machine.alerts[Self.alertLabels]?.state == .firing)
        // It comes back: the keep-firing clock is reset.
        #expect(try machine.apply([(Self.series, 0.96)], at: Self.t0 + 2 * Self.minute).transitions.isEmpty)
        #expect(machine.alerts[Self.alertLabels]?.keepFiringSince == nil)
        // Gone again at +3m: firing through +5m (3 minutes less 1 ms), resolved at +6m.
        #expect(try machine.apply([], at: Self.t0 + 3 * Self.minute).transitions.isEmpty)
        #expect(try machine.apply([], at: Self.t0 + 6 * Self.minute - 1).transitions.isEmpty)
        #expect(machine.alerts[Self.alertLabels]?.state == .firing)
        let resolved = try machine.apply([], at: Self.t0 + 6 * Self.minute)
        #expect(resolved.transitions.map { [$0.from, $0.to] } == [[.firing, .resolved]])
        #expect(machine.alerts[Self.alertLabels]?.resolvedAt == Self.t0 + 6 * Self.minute)
    }

    @Test func keepFiringForDoesNotHoldAPendingAlert() throws {
        var machine = try Self.machine(hold: 5 * Self.minute, keepFiringFor: 10 * Self.minute)
        _ = try machine.apply([(Self.series, 0.95)], at: Self.t0)
        let outcome = try machine.apply([], at: Self.t0 + Self.minute)
        #expect(outcome.transitions.map { [$0.from, $0.to] } == [[.pending, .inactive]])
    }

    @Test func labelSetsCollidingAfterDroppingTheNameAreAnError() throws {
        var machine = try Self.machine()
        var other = Self.series
        other["__name__"] = "cpu_other"
        #expect(throws: AlertingRuleStateMachine.EvaluationError.self) {
            try machine.apply([(Self.series, 1), (other, 2)], at: Self.t0)
        }
        #expect(machine.alerts.isEmpty)
    }

    @Test func exceedingTheLimitClearsTheAlerts() throws {
        var machine = try Self.machine()
        let hosts = (1...3).map { ["host": "h\($0)"] as Labels }
        _ = try machine.apply(hosts.prefix(2).map { ($0, 1) }, at: Self.t0, limit: 2)
        #expect(machine.alerts.count == 2)
        #expect(throws: AlertingRuleStateMachine.EvaluationError(message: "exceeded limit of 2 with 3 alerts")) {
            try machine.apply(hosts.map { ($0, 1) }, at: Self.t0 + 1000, limit: 2)
        }
        #expect(machine.alerts.isEmpty)
    }

    @Test func emptyExpandedLabelIsDropped() throws {
        let rule = AlertingRuleDefinition(name: "A", expression: "x", labels: [("team", try AlertTemplate("{{ $labels.team }}"))])
        var machine = AlertingRuleStateMachine(rule: rule, group: "g", file: "f")
        _ = try machine.apply([(["host": "h"], 1)], at: Self.t0)
        #expect(machine.alerts.keys.first == ["alertname": "A", "host": "h"])
    }

    @Test func alertsAreSentWhenFiringEveryResendDelayAndOnceResolved() throws {
        var machine = try Self.machine(hold: Self.minute)
        _ = try machine.apply([(Self.series, 1)], at: Self.t0)
        #expect(machine.alertsToSend(at: Self.t0, resendDelay: Self.minute, interval: 10_000).isEmpty) // pending
        _ = try machine.apply([(Self.series, 1)], at: Self.t0 + Self.minute)
        let first = machine.alertsToSend(at: Self.t0 + Self.minute, resendDelay: Self.minute, interval: 10_000)
        #expect(first.count == 1)
        #expect(first.first?.validUntil == Self.t0 + Self.minute + 4 * Self.minute)
        #expect(machine.alertsToSend(at: Self.t0 + 2 * Self.minute, resendDelay: Self.minute, interval: 10_000).isEmpty)
        #expect(machine.alertsToSend(at: Self.t0 + 2 * Self.minute + 1, resendDelay: Self.minute, interval: 10_000).count == 1)
        _ = try machine.apply([], at: Self.t0 + 3 * Self.minute)
        let resolved = machine.alertsToSend(at: Self.t0 + 3 * Self.minute, resendDelay: Self.minute, interval: 10_000)
        #expect(resolved.map(\.state) == [.resolved])
        #expect(machine.alertsToSend(at: Self.t0 + 3 * Self.minute + 10_000, resendDelay: Self.minute, interval: 10_000).isEmpty)
    }

    @Test func transitionJSONCarriesTheChange() throws {
        var machine = try Self.machine(hold: 0)
        let transition = try #require(try machine.apply([(Self.series, 0.97)], at: Self.t0).transitions.first)
        let text = String(decoding: transition.encodeJSON(), as: UTF8.self)
        #expect(text.hasPrefix("{\"timestamp\":\"2023-11-14T22:13:20.000000000Z\",\"group\":\"node\",\"file\":\"node.yml\",\"rule\":\"HighCPU\",\"from\":\"inactive\",\"to\":\"firing\",\"value\":0.97,"))
        #expect(text.contains("\"labels\":{\"alertname\":\"HighCPU\",\"host\":\"h1\",\"instance\":\"h1:9100\",\"node\":\"h1\",\"severity\":\"page\"}"))
        #expect(text.contains("\"firedAt\":\"2023-11-14T22:13:20.000000000Z\""))
        #expect(text.hasSuffix("\"fingerprint\":\"\(AlertFingerprint.text(Self.alertLabels))\"}"))
    }
}
