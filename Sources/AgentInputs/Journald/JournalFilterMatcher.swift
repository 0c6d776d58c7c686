/// A `JournalFilter` compiled to bytes, fed one field at a time while the reader walks an
/// entry's data in place, so that rejecting an entry copies nothing.
struct JournalFilterMatcher: Sendable {
    private let units: [[UInt8]]
    private let identifiers: [[UInt8]]
    private let maxPriority: Int?

    /// Which groups an entry has satisfied so far; a group with no constraint starts satisfied.
    struct Progress {
        var unit: Bool
        var identifier: Bool
        var priority: Bool
        var passed: Bool { unit && identifier && priority }
    }

    init(_ filter: JournalFilter) throws {
        if let maxPriority = filter.maxPriority, !(0...7).contains(maxPriority) {
            throw InputError("journald: max priority \(maxPriority) is not a syslog priority (0 emerg … 7 debug)")
        }
        units = filter.units.map { Array(JournalFilter.unitName($0).utf8) }
        identifiers = filter.identifiers.map { Array($0.utf8) }
        maxPriority = filter.maxPriority
    }

    var isEmpty: Bool { units.isEmpty && identifiers.isEmpty && maxPriority == nil }

    func start() -> Progress {
        Progress(unit: units.isEmpty, identifier: identifiers.isEmpty, priority: maxPriority == nil)
    }

    private static let unitField = Array("_SYSTEMD_UNIT".utf8)
    private static let identifierField = Array("SYSLOG_IDENTIFIER".utf8)
    private static let priorityField = Array("PRIORITY".utf8)

    /// Takes one field; a field that repeats satisfies its group if any of its values does.
    func observe(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, _ progress: inout Progress) {
        if !progress.unit, name.elementsEqual(Self.unitField) {
            progress.unit = units.contains { $0.elementsEqual(value) }
        } else if !progress.identifier, name.elementsEqual(Self.identifierField) {
            progress.identifier = identifiers.contains { $0.elementsEqual(value) }
        } else if !progress.priority, let maxPriority, name.elementsEqual(Self.priorityField) {
            if let priority = JournalEntry.decimal(value), priority <= Int64(maxPriority) { progress.priority = true }
        }
    }
}
