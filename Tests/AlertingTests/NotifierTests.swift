import Foundation
import SluiceModel
import Testing
@testable import Alerting

/// Notification bodies against Alertmanager's own, and delivery with retries, dead
/// letters and outages, on a fake transport and a manual clock.
@Suite struct NotifierTests {
    /// Exactly as Alertmanager 0.25 sent them to a webhook receiver (kept as
    /// Tests/Integration/reference/alertmanager-webhook-v4-*.json).
    static let referenceFiring = #"{"receiver":"hook","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"HighCPU","host":"host-01","job":"node","severity":"page"},"annotations":{"summary":"CPU busy above 90% for 5m","value":"0.97"},"startsAt":"2026-11-22T02:37:03.37Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://127.0.0.1/sluice/alerts?rule=HighCPU","fingerprint":"a6544a269bcd9141"}],"groupLabels":{"alertname":"HighCPU","host":"host-01"},"commonLabels":{"alertname":"HighCPU","host":"host-01","job":"node","severity":"page"},"commonAnnotations":{"summary":"CPU busy above 90% for 5m","value":"0.97"},"externalURL":"http://vm:19093","version":"4","groupKey":"{}:{alertname=\"HighCPU\", host=\"host-01\"}","truncatedAlerts":0}"#
    static let referenceResolved = #"{"receiver":"hook","status":"resolved","alerts":[{"status":"resolved","labels":{"alertname":"HighCPU","host":"host-01","job":"node","severity":"page"},"annotations":{"summary":"CPU busy above 90% for 5m","value":"0.97"},"startsAt":"2026-11-22T02:37:03.37Z","endsAt":"2026-11-22T02:37:04.734Z","generatorURL":"http://127.0.0.1/sluice/alerts?rule=HighCPU","fingerprint":"a6544a269bcd9141"}],"groupLabels":{"alertname":"HighCPU","host":"host-01"},"commonLabels":{"alertname":"HighCPU","host":"host-01","job":"node","severity":"page"},"commonAnnotations":{"summary":"CPU busy above 90% for 5m","value":"0.97"},"externalURL":"http://vm:19093","version":"4","groupKey":"{}:{alertname=\"HighCPU\", host=\"host-01\"}","truncatedAlerts":0}"#

    static let labels: Labels = ["alertname": "HighCPU", "host": "host-01", "job": "node", "severity": "page"]
    static let annotations: Labels = ["summary": "CPU busy above 90% for 5m", "value": "0.97"]
    static let startsAt = (Timestamp(rfc3339: "2026-11-22T02:37:03.37Z")?.millisecondsSinceEpoch) ?? 0
    static let endsAt = (Timestamp(rfc3339: "2026-11-22T02:37:04.734Z")?.millisecondsSinceEpoch) ?? 0

    @Test func fingerprintIsAlertmanagers() {
        #expect(AlertFingerprint.text(Self.labels) == "a6544a269bcd9141")
        #expect(AlertFingerprint.text(Labels()) == "cbf29ce484222325") // FNV-1a offset basis
        #expect(AlertFingerprint.text(["a": "b"]) != AlertFingerprint.text(["ab": ""]))
    }

    @Test func webhookBodiesEqualAlertmanagersByteForByte() {
        func body(endsAt: Int64?) -> String {
            let entry = WebhookPayload.Entry(labels: Self.labels, annotations: Self.annotations, startsAt: Self.startsAt,
                                             endsAt: endsAt, generatorURL: "http://127.0.0.1/sluice/alerts?rule=HighCPU")
            return String(decoding: WebhookPayload.encode(receiver: "hook", groupLabels: ["alertname": "HighCPU", "host": "host-01"],
                                                          entries: [entry], externalURL: "http://vm:19093"), as: UTF8.self)
        }
        #expect(body(endsAt: nil) == Self.referenceFiring)
        #expect(body(endsAt: Self.endsAt) == Self.referenceResolved)
    }

    static func object(_ text: some Collection<UInt8>) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text)) as? [String: Any])
    }

    /// Same keys, same JSON types, recursively (first element of arrays).
    static func sameShape(_ a: Any, _ b: Any, path: String = "$") -> [String] {
        switch (a, b) {
        case (let x as [String: Any], let y as [String: Any]):
            if Set(x.keys) != Set(y.keys) { return ["\(path): keys \(x.keys.sorted()) vs \(y.keys.sorted())"] }
            return x.keys.flatMap { sameShape(x[$0]!, y[$0]!, path: path + "." + $0) }
        case (let x as [Any], let y as [Any]):
            guard let first = x.first, let other = y.first else { return x.count == y.count ? [] : ["\(path): empty vs not"] }
            return sameShape(first, other, path: path + "[0]")
        case (is String, is String), (is NSNumber, is NSNumber): return []
        default: return ["\(path): \(type(of: a)) vs \(type(of: b))"]
        }
    }

    func transition(_ to: AlertState, at time: Int64) -> AlertTransition {
        AlertTransition(group: "node", file: "node.yml", rule: "HighCPU", labels: Self.labels, annotations: Self.annotations,
                        from: to == .firing ? .pending : .firing, to: to, value: 0.97, time: time, activeAt: Self.startsAt - 300_000,
                        firedAt: Self.startsAt, expression: "cpu > 0.9")
    }

    @Test func notifierBodiesFromTransitionsMatchTheReferenceFieldByField() throws {
        var configuration = AlertingConfiguration()
        configuration.externalURL = "http://vm:19093"
        var webhook = WebhookConfiguration(name: "hook", url: "http://receiver/hook")
        webhook.groupBy = ["alertname", "host"]
        configuration.webhooks = [webhook]
        let transport = FakeTransport()
        let notifiers = AlertNotifiers(configuration: configuration, transport: transport, clock: ManualAlertingClock())
        notifiers.handle(transitions: [transition(.pending, at: 0), transition(.firing, at: Self.startsAt)])
        notifiers.handle(transitions: [transition(.resolved, at: Self.endsAt)])
        notifiers.deliverDue()
        #expect(transport.requests.map(\.url) == ["http://receiver/hook", "http://receiver/hook"])
        for (sent, reference) in zip(transport.delivered, [Self.referenceFiring, Self.referenceResolved]) {
            let ours = try Self.object(sent)
            let theirs = try Self.object(Array(reference.utf8))
            #expect(Self.sameShape(ours, theirs) == [])
            for key in ["receiver", "status", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "version", "groupKey", "truncatedAlerts"] {
                #expect((ours[key] as? NSObject) == (theirs[key] as? NSObject), "\(key)")
            }
            let ourAlert = try #require((ours["alerts"] as? [[String: Any]])?.first)
            let theirAlert = try #require((theirs["alerts"] as? [[String: Any]])?.first)
            for key in ["status", "labels", "annotations", "startsAt", "endsAt", "fingerprint"] {
                #expect((ourAlert[key] as? NSObject) == (theirAlert[key] as? NSObject), "alerts[0].\(key)")
            }
            #expect(ourAlert["generatorURL"] as? String == "http://vm:19093/graph?g0.expr=cpu+%3E+0.9&g0.tab=1")
        }
    }

    @Test func alertmanagerBodyIsThePostableAlertsArray() throws {
        let alerts = [AlertNotification(labels: Self.labels, annotations: Self.annotations, startsAt: Self.startsAt,
                                        endsAt: Self.endsAt, generatorURL: "http://sluice/graph", isResolved: true)]
        let array = try #require(try JSONSerialization.jsonObject(with: Data(AlertmanagerPayload.encode(alerts))) as? [[String: Any]])
        #expect(array.count == 1)
        #expect(Set(array[0].keys) == ["labels", "annotations", "startsAt", "endsAt", "generatorURL"])
        #expect(array[0]["startsAt"] as? String == "2026-11-22T02:37:03.370Z")
        #expect(array[0]["endsAt"] as? String == "2026-11-22T02:37:04.734Z")
        #expect(array[0]["labels"] as? [String: String] == ["alertname": "HighCPU", "host": "host-01", "job": "node", "severity": "page"])
        #expect(AlertmanagerConfiguration(url: "http://am:9093/").alertsEndpoint == "http://am:9093/api/v2/alerts")
    }

    @Test func backoffDoublesToItsCap() {
        let policy = RetryPolicy()
        #expect((1...9).map { policy.backoff(afterFailures: $0) } == [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000])
    }

    /// Drives a delivery with the manual clock: each wait is skipped by moving the clock.
    static func drain(_ delivery: ReceiverDelivery, _ clock: ManualAlertingClock, until end: Int64 = .max) {
        while let next = delivery.deliverDue(), next <= end { clock.set(next) }
    }

    @Test func retriesWithBackoffThenDeadLetter() throws {
        let clock = ManualAlertingClock(milliseconds: 1_000_000)
        let transport = FakeTransport(clock: clock)
        transport.always(.error("cannot connect to receiver:80: Connection refused"))
        let letters = DeadLetterBox()
        let delivery = ReceiverDelivery(name: "hook", url: "http://receiver/", policy: RetryPolicy(), transport: transport,
                                        clock: clock, deadLetters: letters.add)
        delivery.enqueue(Array("first".utf8))
        Self.drain(delivery, clock)
        let times = transport.attemptTimes.map { $0 - 1_000_000 }
        // 0, +0.5 s, +1 s, +2 s, … capped at 30 s; the last attempt within 10 minutes.
        #expect(Array(times.prefix(8)) == [0, 500, 1500, 3500, 7500, 15_500, 31_500, 61_500])
        #expect(zip(times.dropFirst(7), times.dropFirst(8)).allSatisfy { $1 - $0 == 30_000 })
        #expect(try #require(times.last) <= 600_000)
        #expect(try #require(times.last) + 30_000 > 600_000)
        let letter = try #require(letters.all.first)
        #expect(letters.all.count == 1)
        #expect(letter.payload == Array("first".utf8))
        #expect(letter.lastError == "cannot connect to receiver:80: Connection refused")
        #expect(letter.attempts == times.count)
        #expect(letter.receiver == "hook")
        #expect(delivery.pendingCount == 0)
    }

    @Test func refusedBodyIsGivenUpAtOnceAndTheNextIsSent() throws {
        let clock = ManualAlertingClock(milliseconds: 0)
        let transport = FakeTransport(clock: clock)
        transport.script([.status(400), .status(503), .status(200)])
        let letters = DeadLetterBox()
        let delivery = ReceiverDelivery(name: "hook", url: "http://r/", policy: RetryPolicy(), transport: transport,
                                        clock: clock, deadLetters: letters.add)
        delivery.enqueue(Array("bad".utf8))
        delivery.enqueue(Array("good".utf8))
        Self.drain(delivery, clock)
        #expect(letters.all.map(\.payload) == [Array("bad".utf8)])
        #expect(letters.all.first?.lastError == "HTTP 400: answer 400")
        #expect(transport.delivered == [Array("good".utf8)])
        #expect(transport.attemptTimes == [0, 0, 500])
    }

    @Test func receiverDownForAWhileGetsEachNotificationOnceInOrder() throws {
        let clock = ManualAlertingClock(milliseconds: 0)
        let transport = FakeTransport(clock: clock)
        transport.always(.error("connection refused"))
        let letters = DeadLetterBox()
        let delivery = ReceiverDelivery(name: "hook", url: "http://r/", policy: RetryPolicy(), transport: transport,
                                        clock: clock, deadLetters: letters.add)
        delivery.enqueue(Array("firing".utf8))
        clock.set(1000)
        delivery.enqueue(Array("resolved".utf8))
        Self.drain(delivery, clock, until: 180_000) // three minutes down
        #expect(transport.delivered.isEmpty)
        #expect(transport.requests.allSatisfy { $0.body == Array("firing".utf8) }) // nothing overtakes the head
        transport.always(.status(200))
        Self.drain(delivery, clock)
        #expect(transport.delivered == [Array("firing".utf8), Array("resolved".utf8)])
        #expect(letters.all.isEmpty)
        #expect(delivery.pendingCount == 0)
        #expect(delivery.deliverDue() == nil)
    }

    @Test func fullQueueGivesUpTheOldest() {
        let clock = ManualAlertingClock()
        let letters = DeadLetterBox()
        let delivery = ReceiverDelivery(name: "hook", url: "http://r/",
                                        policy: RetryPolicy(initialBackoffMilliseconds: 500, maximumBackoffMilliseconds: 30_000,
                                                            maximumRetryMilliseconds: 600_000, capacity: 2),
                                        transport: FakeTransport(), clock: clock, deadLetters: letters.add)
        for name in ["a", "b", "c"] { delivery.enqueue(Array(name.utf8)) }
        #expect(letters.all.map(\.payload) == [Array("a".utf8)])
        #expect(delivery.pendingCount == 2)
    }

    /// Webhooks hear transitions to firing and resolved only; Alertmanager hears what the
    /// rule manager re-sends each minute.
    @Test func endToEndWithTheRuleManager() throws {
        let evaluator = FakeEvaluator()
        let clock = ManualAlertingClock(milliseconds: 0)
        let transport = FakeTransport(clock: clock)
        var configuration = AlertingConfiguration()
        configuration.webhooks = [WebhookConfiguration(url: "http://hook/")]
        configuration.alertmanagers = [AlertmanagerConfiguration(url: "http://am:9093")]
        configuration.evaluationIntervalMilliseconds = 10_000
        let notifiers = AlertNotifiers(configuration: configuration, transport: transport, clock: clock)
        let file = try parseRules("groups:\n  - name: g\n    rules:\n      - alert: Hot\n        expr: temp > 90\n        for: 20s\n", evaluator: evaluator)
        let manager = RuleManager(files: [file], evaluator: evaluator, configuration: configuration.ruleManagerConfiguration,
                                  sinks: notifiers.ruleManagerSinks())
        evaluator.set("temp > 90", [(["host": "h"], 95)])
        for time in stride(from: Int64(0), through: 200_000, by: 10_000) {
            if time == 150_000 { evaluator.set("temp > 90", []) }
            clock.set(time)
            manager.advance(to: time)
            notifiers.deliverDue()
        }
        let hook = transport.requests.filter { $0.url == "http://hook/" }
        let am = transport.requests.filter { $0.url == "http://am:9093/api/v2/alerts" }
        #expect(hook.count == 2)
        let statuses = try hook.map { try Self.object($0.body)["status"] as? String }
        #expect(statuses == ["firing", "resolved"])
        // Fired at 20 s, re-sent at 90 s (after a full minute), resolved at 150 s.
        #expect(transport.attemptTimes.enumerated().filter { transport.requests[$0.offset].url.contains("am:9093") }.map(\.element)
                == [20_000, 90_000, 150_000])
        let lastBody = try #require(am.last).body
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lastBody)) as? [[String: Any]])
        #expect(last.first?["endsAt"] as? String == "1970-01-01T00:02:30.000Z")
    }
}

final class DeadLetterBox: @unchecked Sendable {
    private var letters: [DeadLetter] = []
    private let lock = NSLock()
    var all: [DeadLetter] { lock.withLock { letters } }
    func add(_ letter: DeadLetter) { lock.withLock { letters.append(letter) } }
}
