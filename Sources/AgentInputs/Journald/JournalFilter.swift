/// Which journal entries the journald input ships. Groups combine with AND, the values
/// within a group with OR, and an empty group does not constrain: `units: ["nginx"],
/// maxPriority: 4` keeps nginx's warnings and worse.
///
/// The reader applies it itself rather than through `sd_journal_add_match`, so that it still
/// sees (and can checkpoint) the entries the filter rejects.
public struct JournalFilter: Sendable, Equatable {
    /// Matched against `_SYSTEMD_UNIT`, exactly. A name without a unit type suffix means the
    /// service, as with `systemctl` and `journalctl -u`: `nginx` is `nginx.service`, while
    /// `cron.timer` or `foo.bar.service` are taken as written. No globs.
    public var units: [String]
    /// Matched against `SYSLOG_IDENTIFIER`, exactly (`sshd`, `kernel`, `CRON`).
    public var identifiers: [String]
    /// Keep entries whose `PRIORITY` is at most this (0 emerg … 7 debug), like
    /// `journalctl -p`. Entries with no `PRIORITY`, or one that is not a number, are not kept.
    public var maxPriority: Int?

    public init(units: [String] = [], identifiers: [String] = [], maxPriority: Int? = nil) {
        self.units = units
        self.identifiers = identifiers
        self.maxPriority = maxPriority
    }

    /// True when every entry passes.
    public var isEmpty: Bool { units.isEmpty && identifiers.isEmpty && maxPriority == nil }

    /// Whether an entry with these fields passes: the same rules the reader applies.
    public func matches(_ fields: [(name: String, value: [UInt8])]) -> Bool {
        guard let matcher = try? JournalFilterMatcher(self) else { return false }
        var progress = matcher.start()
        for field in fields {
            Array(field.name.utf8).withUnsafeBytes { name in
                field.value.withUnsafeBytes { value in matcher.observe(name: name, value: value, &progress) }
            }
        }
        return progress.passed
    }

    static let unitTypes = ["service", "socket", "device", "mount", "automount", "swap",
                            "target", "path", "timer", "slice", "scope"]

    /// The `_SYSTEMD_UNIT` value a configured unit name stands for: `nginx` → `nginx.service`.
    public static func unitName(_ name: String) -> String {
        if let dot = name.lastIndex(of: "."), unitTypes.contains(String(name[name.index(after: dot)...])) {
            return name
        }
        return name + ".service"
    }
}
