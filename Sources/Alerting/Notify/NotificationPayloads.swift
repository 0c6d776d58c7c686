import SluiceModel

/// Alertmanager's webhook body, version 4, as Alertmanager itself sends it to a webhook
/// receiver: `receiver`, `status`, `alerts[]` (`status`, `labels`, `annotations`,
/// `startsAt`, `endsAt` (Go's zero time while firing), `generatorURL`, `fingerprint`),
/// `groupLabels`, `commonLabels`, `commonAnnotations`, `externalURL`, `version`,
/// `groupKey`, `truncatedAlerts`.
public enum WebhookPayload {
    public struct Entry: Sendable, Equatable {
        public var labels: Labels
        public var annotations: Labels
        public var startsAt: Int64
        /// nil while firing.
        public var endsAt: Int64?
        public var generatorURL: String

        public init(labels: Labels, annotations: Labels, startsAt: Int64, endsAt: Int64?, generatorURL: String) {
            self.labels = labels
            self.annotations = annotations
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.generatorURL = generatorURL
        }

        public var isResolved: Bool { endsAt != nil }
    }

    /// One group's body. `groupLabels` are the labels the group is keyed by.
    public static func encode(receiver: String, groupLabels: Labels, entries: [Entry], externalURL: String) -> [UInt8] {
        var writer = JSONWriter(capacity: 512 + entries.count * 384)
        let firing = entries.contains { !$0.isResolved }
        writer.raw("{\"receiver\":")
        writer.string(receiver)
        writer.raw(",\"status\":")
        writer.string(firing ? "firing" : "resolved")
        writer.raw(",\"alerts\":[")
        for (index, entry) in entries.enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.raw("{\"status\":")
            writer.string(entry.isResolved ? "resolved" : "firing")
            writer.raw(",\"labels\":")
            entry.labels.writeJSON(to: &writer)
            writer.raw(",\"annotations\":")
            entry.annotations.writeJSON(to: &writer)
            writer.raw(",\"startsAt\":")
            writer.string(GoFormatting.rfc3339Nano(milliseconds: entry.startsAt))
            writer.raw(",\"endsAt\":")
            writer.string(GoFormatting.rfc3339Nano(milliseconds: entry.endsAt))
            writer.raw(",\"generatorURL\":")
            writer.string(entry.generatorURL)
            writer.raw(",\"fingerprint\":")
            writer.string(AlertFingerprint.text(entry.labels))
            writer.raw(UInt8(ascii: "}"))
        }
        writer.raw("],\"groupLabels\":")
        groupLabels.writeJSON(to: &writer)
        writer.raw(",\"commonLabels\":")
        common(entries.map(\.labels)).writeJSON(to: &writer)
        writer.raw(",\"commonAnnotations\":")
        common(entries.map(\.annotations)).writeJSON(to: &writer)
        writer.raw(",\"externalURL\":")
        writer.string(externalURL)
        writer.raw(",\"version\":\"4\",\"groupKey\":")
        writer.string(groupKey(groupLabels))
        writer.raw(",\"truncatedAlerts\":0}")
        return writer.bytes
    }

    /// The pairs every set has with the same value.
    static func common(_ sets: [Labels]) -> Labels {
        guard var shared = sets.first else { return Labels() }
        for set in sets.dropFirst() {
            for pair in shared where set[pair.name] != pair.value { shared[pair.name] = nil }
        }
        return shared
    }

    /// Alertmanager's group key for the root route: `{}:{alertname="HighCPU", host="h"}`.
    public static func groupKey(_ groupLabels: Labels) -> String {
        "{}:{" + groupLabels.pairs.map { pair -> String in
            var writer = JSONWriter()
            writer.string(pair.value)
            return "\(pair.name)=" + String(decoding: writer.bytes, as: UTF8.self)
        }.joined(separator: ", ") + "}"
    }
}

/// The body of Alertmanager's `POST /api/v2/alerts`: a JSON array of `{labels,
/// annotations, startsAt, endsAt, generatorURL}`, times with milliseconds as
/// Alertmanager's API writes them.
public enum AlertmanagerPayload {
    public static func encode(_ alerts: [AlertNotification]) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + alerts.count * 384)
        writer.raw(UInt8(ascii: "["))
        for (index, alert) in alerts.enumerated() {
            if index > 0 { writer.raw(UInt8(ascii: ",")) }
            writer.raw("{\"labels\":")
            alert.labels.writeJSON(to: &writer)
            writer.raw(",\"annotations\":")
            alert.annotations.writeJSON(to: &writer)
            writer.raw(",\"startsAt\":")
            writer.string(GoFormatting.rfc3339Milliseconds(alert.startsAt))
            writer.raw(",\"endsAt\":")
            writer.string(GoFormatting.rfc3339Milliseconds(alert.endsAt))
            writer.raw(",\"generatorURL\":")
            writer.string(alert.generatorURL)
            writer.raw(UInt8(ascii: "}"))
        }
        writer.raw(UInt8(ascii: "]"))
        return writer.bytes
    }
}
