import SluiceModel
import Yams

/// The alert state file: every alert held (pending, firing, resolved within retention)
/// with its times, so that after a restart a pending alert keeps its timer and a firing
/// one neither fires again nor is announced again.
///
/// Layout (JSON, one document, replaced atomically: temporary file, fsync, rename, folder
/// fsync):
/// `{"version":1,"savedAt":MS,"rules":[{"file":…,"group":…,"rule":…,"ordinal":N,
/// "alerts":[{"labels":{…},"annotations":{…},"state":"firing","value":"0.97",
/// "activeAt":MS,"firedAt":MS|null,"resolvedAt":…,"lastSentAt":…,"validUntil":…,
/// "keepFiringSince":…}]}]}`. Times are integers (ms since the epoch); values are text
/// (Swift's round-tripping form, `nan` and `inf` included). A rule is matched by file,
/// group, name and ordinal among same-named rules of its group; alerts of rules no longer
/// loaded are dropped.
public enum AlertSnapshotFormat {
    public static let version = 1
}

/// A snapshot that cannot be read.
public struct AlertSnapshotError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "alert state \(path): \(message)" }
}

extension RuleManager {
    struct RuleKey: Hashable {
        var file: String
        var group: String
        var rule: String
        var ordinal: Int
    }

    /// The snapshot's bytes for the current state.
    func snapshotBytes(at time: Int64) -> [UInt8] {
        state.withLock { state in
            var writer = JSONWriter(capacity: 1024)
            writer.raw("{\"version\":")
            writer.int(Int64(AlertSnapshotFormat.version))
            writer.raw(",\"savedAt\":")
            writer.int(time)
            writer.raw(",\"rules\":[")
            var firstRule = true
            for group in state.groups {
                var ordinals: [String: Int] = [:]
                for rule in group.rules {
                    guard let machine = rule.machine else { continue }
                    let ordinal = ordinals[machine.rule.name, default: 0]
                    ordinals[machine.rule.name] = ordinal + 1
                    let alerts = machine.allAlerts
                    guard !alerts.isEmpty else { continue }
                    if !firstRule { writer.raw(UInt8(ascii: ",")) }
                    firstRule = false
                    writer.raw("{\"file\":")
                    writer.string(group.definition.file)
                    writer.raw(",\"group\":")
                    writer.string(group.definition.name)
                    writer.raw(",\"rule\":")
                    writer.string(machine.rule.name)
                    writer.raw(",\"ordinal\":")
                    writer.int(Int64(ordinal))
                    writer.raw(",\"alerts\":[")
                    for (index, alert) in alerts.enumerated() {
                        if index > 0 { writer.raw(UInt8(ascii: ",")) }
                        Self.write(alert, to: &writer)
                    }
                    writer.raw("]}")
                }
            }
            writer.raw("]}\n")
            return writer.bytes
        }
    }

    private static func write(_ alert: Alert, to writer: inout JSONWriter) {
        func optional(_ key: StaticString, _ value: Int64?) {
            writer.raw(",\"")
            writer.raw(key)
            writer.raw("\":")
            if let value { writer.int(value) } else { writer.raw("null") }
        }
        writer.raw("{\"labels\":")
        alert.labels.writeJSON(to: &writer)
        writer.raw(",\"annotations\":")
        alert.annotations.writeJSON(to: &writer)
        writer.raw(",\"state\":")
        writer.string(alert.state.rawValue)
        writer.raw(",\"value\":")
        writer.string(alert.value.description)
        writer.raw(",\"activeAt\":")
        writer.int(alert.activeAt)
        optional("firedAt", alert.firedAt)
        optional("resolvedAt", alert.resolvedAt)
        optional("lastSentAt", alert.lastSentAt)
        optional("validUntil", alert.validUntil)
        optional("keepFiringSince", alert.keepFiringSince)
        writer.raw(UInt8(ascii: "}"))
    }

    func saveSnapshot(at time: Int64) {
        guard let path = configuration.snapshotPath else { return }
        do { try AlertingFiles.writeAtomically(snapshotBytes(at: time), to: path) } catch {
            logger.error("writing the alert state failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Loads the snapshot (if the file exists) into the rules' alerts. Call before the
    /// first `advance`. Returns how many alerts were restored.
    @discardableResult
    public func restoreSnapshot() throws -> Int {
        guard let path = configuration.snapshotPath, AlertingFiles.exists(path) else { return 0 }
        let bytes = try AlertingFiles.read(path)
        let restored = try Self.parseSnapshot(String(decoding: bytes, as: UTF8.self), path: path)
        return state.withLock { state in
            var count = 0
            for groupIndex in state.groups.indices {
                var ordinals: [String: Int] = [:]
                let group = state.groups[groupIndex].definition
                for ruleIndex in state.groups[groupIndex].rules.indices {
                    guard var machine = state.groups[groupIndex].rules[ruleIndex].machine else { continue }
                    let ordinal = ordinals[machine.rule.name, default: 0]
                    ordinals[machine.rule.name] = ordinal + 1
                    let key = RuleKey(file: group.file, group: group.name, rule: machine.rule.name, ordinal: ordinal)
                    guard let alerts = restored[key] else { continue }
                    machine.restore(alerts)
                    count += alerts.count
                    state.groups[groupIndex].rules[ruleIndex].machine = machine
                }
            }
            return count
        }
    }

    static func parseSnapshot(_ text: String, path: String) throws -> [RuleKey: [Alert]] {
        func fail(_ message: String) -> AlertSnapshotError { AlertSnapshotError(path: path, message: message) }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw fail("not JSON: \(error)") }
        guard let root, let top = root.mapping else { throw fail("not a JSON object") }
        guard top["version"]?.string == String(AlertSnapshotFormat.version) else {
            throw fail("unknown version \(top["version"]?.string ?? "none")")
        }
        var result: [RuleKey: [Alert]] = [:]
        for ruleNode in top["rules"]?.sequence ?? [] {
            guard let rule = ruleNode.mapping, let file = rule["file"]?.string, let group = rule["group"]?.string,
                  let name = rule["rule"]?.string, let ordinal = rule["ordinal"]?.string.flatMap({ Int($0) }) else {
                throw fail("a rule entry lacks file, group, rule or ordinal")
            }
            var alerts: [Alert] = []
            for alertNode in rule["alerts"]?.sequence ?? [] {
                guard let fields = alertNode.mapping else { throw fail("an alert of \(name) is not an object") }
                func labels(_ key: String) throws -> Labels {
                    guard let mapping = fields[key]?.mapping else { throw fail("an alert of \(name) lacks \(key)") }
                    return Labels(unsortedPairs: mapping.compactMap { pair in
                        guard let key = pair.key.string, let value = pair.value.string else { return nil }
                        return (key, value)
                    })
                }
                func time(_ key: String) throws -> Int64? {
                    guard let node = fields[key], !RuleFileParser.isNull(node) else { return nil }
                    guard let text = node.string, let value = Int64(text) else { throw fail("\(key) of an alert of \(name) is no time") }
                    return value
                }
                guard let stateText = fields["state"]?.string, let state = AlertState(rawValue: stateText) else {
                    throw fail("an alert of \(name) has no valid state")
                }
                guard let valueText = fields["value"]?.string, let value = Double(valueText) else {
                    throw fail("an alert of \(name) has no valid value")
                }
                guard let activeAt = try time("activeAt") else { throw fail("an alert of \(name) lacks activeAt") }
                alerts.append(Alert(
                    labels: try labels("labels"), annotations: try labels("annotations"), state: state, value: value,
                    activeAt: activeAt, firedAt: try time("firedAt"), resolvedAt: try time("resolvedAt"),
                    lastSentAt: try time("lastSentAt"), validUntil: try time("validUntil"),
                    keepFiringSince: try time("keepFiringSince")))
            }
            result[RuleKey(file: file, group: group, rule: name, ordinal: ordinal)] = alerts
        }
        return result
    }
}
