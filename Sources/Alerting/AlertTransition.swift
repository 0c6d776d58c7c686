import SluiceModel

/// One alert changing state at one evaluation: what the composition writes to the
/// `alerts` topic and what the webhook notifier sends on (to `firing`, to `resolved`).
public struct AlertTransition: Sendable, Equatable {
    public var group: String
    public var file: String
    public var rule: String
    public var labels: Labels
    public var annotations: Labels
    public var from: AlertState
    public var to: AlertState
    public var value: Double
    /// The evaluation time of the change, ms since the epoch.
    public var time: Int64
    public var activeAt: Int64
    public var firedAt: Int64?
    /// The rule's expression (for `generatorURL`).
    public var expression: String

    public init(group: String, file: String, rule: String, labels: Labels, annotations: Labels, from: AlertState,
                to: AlertState, value: Double, time: Int64, activeAt: Int64, firedAt: Int64?, expression: String) {
        self.group = group
        self.file = file
        self.rule = rule
        self.labels = labels
        self.annotations = annotations
        self.from = from
        self.to = to
        self.value = value
        self.time = time
        self.activeAt = activeAt
        self.firedAt = firedAt
        self.expression = expression
    }

    public static func == (lhs: AlertTransition, rhs: AlertTransition) -> Bool {
        lhs.group == rhs.group && lhs.file == rhs.file && lhs.rule == rhs.rule && lhs.labels == rhs.labels
            && lhs.annotations == rhs.annotations && lhs.from == rhs.from && lhs.to == rhs.to
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN)) && lhs.time == rhs.time
            && lhs.activeAt == rhs.activeAt && lhs.firedAt == rhs.firedAt && lhs.expression == rhs.expression
    }

    /// The record value for the `alerts` topic:
    /// `{"timestamp":"…","group":…,"file":…,"rule":…,"from":"pending","to":"firing",
    /// "value":0.97,"labels":{…},"annotations":{…},"activeAt":"…","firedAt":"…"|null,
    /// "fingerprint":"a6544a269bcd9141"}`. Times are RFC 3339 with nanoseconds, like
    /// every other topic's `timestamp`.
    public func encodeJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        func time(_ milliseconds: Int64) {
            writer.raw(UInt8(ascii: "\""))
            Timestamp(nanosecondsSinceEpoch: milliseconds &* 1_000_000).appendRFC3339(to: &writer.bytes)
            writer.raw(UInt8(ascii: "\""))
        }
        writer.raw("{\"timestamp\":")
        time(self.time)
        writer.raw(",\"group\":")
        writer.string(group)
        writer.raw(",\"file\":")
        writer.string(file)
        writer.raw(",\"rule\":")
        writer.string(rule)
        writer.raw(",\"from\":")
        writer.string(from.rawValue)
        writer.raw(",\"to\":")
        writer.string(to.rawValue)
        writer.raw(",\"value\":")
        writer.double(value)
        writer.raw(",\"labels\":")
        labels.writeJSON(to: &writer)
        writer.raw(",\"annotations\":")
        annotations.writeJSON(to: &writer)
        writer.raw(",\"activeAt\":")
        time(activeAt)
        writer.raw(",\"firedAt\":")
        if let firedAt { time(firedAt) } else { writer.raw("null") }
        writer.raw(",\"fingerprint\":")
        writer.string(AlertFingerprint.text(labels))
        writer.raw(UInt8(ascii: "}"))
        return writer.bytes
    }
}

/// Alertmanager's alert identity: `model.LabelSet.Fingerprint`, FNV-1a 64 over the
/// label names in sorted order, each name followed by 0xff, its value, and 0xff.
public enum AlertFingerprint {
    public static func value(_ labels: Labels) -> UInt64 {
        var hash: UInt64 = 14_695_981_039_346_656_037
        func add(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 1_099_511_628_211
        }
        for pair in labels.pairs {
            for byte in pair.name.utf8 { add(byte) }
            add(0xFF)
            for byte in pair.value.utf8 { add(byte) }
            add(0xFF)
        }
        return hash
    }

    /// 16 lowercase hex digits, as Alertmanager prints it.
    public static func text(_ labels: Labels) -> String {
        let digits = String(value(labels), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
