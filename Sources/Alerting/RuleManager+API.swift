import SluiceModel

/// Which rules `/api/v1/rules` lists (its `type` parameter).
public enum RuleListFilter: String, Sendable {
    case all = ""
    case alert
    case record
}

/// An alert with the rule it belongs to, for listings (`sluice alerts list`).
public struct ActiveAlertEntry: Sendable, Equatable {
    public var group: String
    public var rule: String
    public var alert: Alert
}

extension RuleManager {
    /// Pending and firing alerts of every rule, in group, rule and label order.
    public func activeAlerts() -> [ActiveAlertEntry] {
        state.withLock { state in
            state.groups.flatMap { group in
                group.rules.flatMap { rule in
                    (rule.machine?.activeAlerts ?? []).map {
                        ActiveAlertEntry(group: group.definition.name, rule: rule.definition.name, alert: $0)
                    }
                }
            }
        }
    }

    /// The body of Prometheus's `GET /api/v1/alerts`:
    /// `{"status":"success","data":{"alerts":[{"labels":…,"annotations":…,"state":"firing",
    /// "activeAt":"…","value":"9.7e-01"}]}}`.
    public func alertsResponseJSON() -> [UInt8] {
        let alerts = activeAlerts()
        var writer = JSONWriter(capacity: 256 + alerts.count * 256)
        writer.raw("{\"status\":\"success\",\"data\":{\"alerts\":[")
        for (index, entry) in alerts.enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            Self.writeAPIAlert(entry.alert, to: &writer)
        }
        writer.raw("]}}")
        return writer.bytes
    }

    /// The body of Prometheus's `GET /api/v1/rules` (groups with their rules, each rule's
    /// health, last error, evaluation time and, for alerting rules, state and alerts).
    public func rulesResponseJSON(filter: RuleListFilter = .all) -> [UInt8] {
        state.withLock { state in
            var writer = JSONWriter(capacity: 1024)
            writer.raw("{\"status\":\"success\",\"data\":{\"groups\":[")
            for (groupIndex, group) in state.groups.enumerated() {
                if groupIndex > 0 { writer.raw(UInt8(ascii: ",")) }
                writer.raw("{\"name\":")
                writer.string(group.definition.name)
                writer.raw(",\"file\":")
                writer.string(group.definition.file)
                writer.raw(",\"rules\":[")
                var first = true
                for rule in group.rules {
                    switch rule.definition {
                    case .alerting(let alerting):
                        guard filter != .record, let machine = rule.machine else { continue }
                        if !first { writer.raw(UInt8(ascii: ",")) }
                        first = false
                        writer.raw("{\"state\":")
                        writer.string(machine.state.prometheusName)
                        writer.raw(",\"name\":")
                        writer.string(alerting.name)
                        writer.raw(",\"query\":")
                        writer.string(alerting.expression)
                        writer.raw(",\"duration\":")
                        writer.double(Double(alerting.holdMilliseconds) / 1000)
                        writer.raw(",\"keepFiringFor\":")
                        writer.double(Double(alerting.keepFiringForMilliseconds) / 1000)
                        writer.raw(",\"labels\":")
                        alerting.rawLabels.writeJSON(to: &writer)
                        writer.raw(",\"annotations\":")
                        alerting.rawAnnotations.writeJSON(to: &writer)
                        writer.raw(",\"alerts\":[")
                        for (index, alert) in machine.activeAlerts.enumerated() {
                            if index > 0 { writer.raw(UInt8(ascii: ",")) }
                            Self.writeAPIAlert(alert, to: &writer)
                        }
                        writer.raw("]")
                        Self.writeHealth(rule, to: &writer)
                        writer.raw(",\"type\":\"alerting\"}")
                    case .recording(let recording):
                        guard filter != .alert else { continue }
                        if !first { writer.raw(UInt8(ascii: ",")) }
                        first = false
                        writer.raw("{\"name\":")
                        writer.string(recording.name)
                        writer.raw(",\"query\":")
                        writer.string(recording.expression)
                        if !recording.labels.isEmpty {
                            writer.raw(",\"labels\":")
                            recording.labels.writeJSON(to: &writer)
                        }
                        Self.writeHealth(rule, to: &writer)
                        writer.raw(",\"type\":\"recording\"}")
                    }
                }
                writer.raw("],\"interval\":")
                writer.double(Double(group.interval) / 1000)
                writer.raw(",\"limit\":")
                writer.int(Int64(group.definition.limit))
                writer.raw(",\"evaluationTime\":")
                writer.double(group.evaluationSeconds)
                writer.raw(",\"lastEvaluation\":")
                writer.string(GoFormatting.rfc3339Nano(milliseconds: group.lastEvaluation))
                writer.raw(UInt8(ascii: "}"))
            }
            writer.raw("]}}")
            return writer.bytes
        }
    }

    private static func writeHealth(_ rule: RuleRuntime, to writer: inout JSONWriter) {
        writer.raw(",\"health\":")
        writer.string(rule.health.rawValue)
        if !rule.lastError.isEmpty {
            writer.raw(",\"lastError\":")
            writer.string(rule.lastError)
        }
        writer.raw(",\"evaluationTime\":")
        writer.double(rule.evaluationSeconds)
        writer.raw(",\"lastEvaluation\":")
        writer.string(GoFormatting.rfc3339Nano(milliseconds: rule.lastEvaluation))
    }

    static func writeAPIAlert(_ alert: Alert, to writer: inout JSONWriter) {
        writer.raw("{\"labels\":")
        alert.labels.writeJSON(to: &writer)
        writer.raw(",\"annotations\":")
        alert.annotations.writeJSON(to: &writer)
        writer.raw(",\"state\":")
        writer.string(alert.state.prometheusName)
        writer.raw(",\"activeAt\":")
        writer.string(GoFormatting.rfc3339Nano(milliseconds: alert.activeAt))
        if let since = alert.keepFiringSince {
            writer.raw(",\"keepFiringSince\":")
            writer.string(GoFormatting.rfc3339Nano(milliseconds: since))
        }
        writer.raw(",\"value\":")
        writer.string(GoFormatting.formatE(alert.value))
        writer.raw(UInt8(ascii: "}"))
    }
}
