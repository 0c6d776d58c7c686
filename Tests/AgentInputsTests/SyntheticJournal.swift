import AgentInputs
import Foundation
import TestSupport

/// Journal entries like a busy host's: several units and identifiers, every priority (and
/// some entries with none, or a non-numeric one), multi-line, binary and very long
/// messages, a repeated field. Each carries `SEQ=<n>` so tests can tell entries apart.
struct SyntheticJournal {
    static let units = ["nginx.service", "sshd.service", "cron.service", "app.service", "kafka.service"]
    static let identifiers = ["nginx", "sshd", "CRON", "app", "kafka"]

    var rng: SplitMix64
    var boot: JournalBoot
    var nextSeq: Int

    init(seed: UInt64, realtime: UInt64 = 1_750_000_000_000_000, firstSeq: Int = 0) {
        rng = SplitMix64(seed: seed)
        boot = JournalBoot(realtime: realtime)
        nextSeq = firstSeq
    }

    /// Starts a new boot (a new file's worth), later than everything so far.
    mutating func reboot() {
        boot = JournalBoot(realtime: boot.realtime + 60_000_000)
    }

    mutating func entries(_ count: Int, unitsFrom allowedUnits: [String] = units) -> [JournalWriter.Entry] {
        (0..<count).map { _ in entry(allowedUnits) }
    }

    private mutating func entry(_ allowedUnits: [String]) -> JournalWriter.Entry {
        let seq = nextSeq
        nextSeq += 1
        var fields: [(name: String, value: [UInt8])] = [("SEQ", Array(String(seq).utf8)), ("_HOSTNAME", Array("web-1".utf8))]
        let kind = Int(rng.next() % 10)
        if kind == 0 {
            // The kernel: no unit, its own identifier and transport.
            fields += [("_TRANSPORT", Array("kernel".utf8)), ("SYSLOG_IDENTIFIER", Array("kernel".utf8))]
        } else {
            let pick = Int(rng.next() % UInt64(allowedUnits.count))
            fields += [("_SYSTEMD_UNIT", Array(allowedUnits[pick].utf8)),
                       ("SYSLOG_IDENTIFIER", Array(Self.identifiers[pick % Self.identifiers.count].utf8)),
                       ("_TRANSPORT", Array((kind < 6 ? "journal" : "stdout").utf8)),
                       ("_PID", Array(String(100 + rng.next() % 30_000).utf8)),
                       ("_UID", Array(String(rng.next() % 1000).utf8)),
                       ("_COMM", Array(Self.identifiers[pick % Self.identifiers.count].lowercased().utf8))]
        }
        switch rng.next() % 20 {
        case 0: break                                        // no PRIORITY at all
        case 1: fields.append(("PRIORITY", Array("warn".utf8))) // not a number
        default: fields.append(("PRIORITY", Array(String(rng.next() % 8).utf8)))
        }
        if rng.next() % 4 == 0 { fields.append(("SYSLOG_FACILITY", Array(String(rng.next() % 24).utf8))) }
        if rng.next() % 9 == 0 { fields += [("CODE_FILE", Array("src/main.c".utf8)), ("CODE_LINE", Array(String(seq % 900).utf8))] }
        if rng.next() % 13 == 0 { fields += [("TAG", Array("a".utf8)), ("TAG", Array("b\(seq)".utf8))] }
        fields.append(("MESSAGE", message(seq)))
        return boot.entry(fields, step: 1 + rng.next() % 2000)
    }

    private mutating func message(_ seq: Int) -> [UInt8] {
        switch seq % 50 {
        case 7:
            return Array("panic: something broke\n\tat frame 1 (seq \(seq))\n\tat frame 2\n".utf8)
        case 13:
            // Binary: NULs, newlines, invalid UTF-8.
            let count = 1 + Int(rng.next() % 300)
            return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) } + [0, 0xFF, 0x0A, 0xC3]
        case 29 where seq % 1000 == 29:
            // Far beyond libsystemd's default 64 KiB data threshold.
            return (0..<200_000).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        default:
            return Array("request \(seq) served in \(rng.next() % 500) ms ✓".utf8)
        }
    }
}

extension JournalEntry {
    var seq: Int? { self["SEQ"].flatMap { Int(String(decoding: $0, as: UTF8.self)) } }
}

extension JournalWriter.Entry {
    var seq: Int { Int(String(decoding: fields.first { $0.name == "SEQ" }!.value, as: UTF8.self))! }

    func values(_ name: String) -> [[UInt8]] {
        storedFields.filter { $0.name == name }.map(\.value)
    }
}

/// A field that sorts, so field lists compare regardless of the journal's stored order.
struct StoredField: Comparable, CustomStringConvertible {
    var name: String
    var value: [UInt8]

    static func < (lhs: StoredField, rhs: StoredField) -> Bool {
        lhs.name != rhs.name ? lhs.name < rhs.name : lhs.value.lexicographicallyPrecedes(rhs.value)
    }

    var description: String { "\(name) (\(value.count) bytes)" }
}

func normalized(_ fields: [(name: String, value: [UInt8])]) -> [StoredField] {
    fields.map { StoredField(name: $0.name, value: $0.value) }.sorted()
}

/// Reads until the end of the journal.
func readToEnd(_ reader: JournalReader, batch: Int = 250) throws -> (entries: [JournalEntry], lastCursor: String?) {
    var entries: [JournalEntry] = []
    var lastCursor: String?
    while true {
        let result = try reader.next(maxEntries: batch)
        entries += result.entries
        lastCursor = result.lastCursor ?? lastCursor
        if result.reachedEnd { return (entries, lastCursor) }
    }
}

/// Waits for a change libsystemd has not taken in yet, then takes in any others queued.
func waitForChange(_ reader: JournalReader) throws -> JournalChange {
    let first = try reader.wait(timeoutMicroseconds: 5_000_000)
    while try reader.wait(timeoutMicroseconds: 50_000) != .none {}
    return first
}
