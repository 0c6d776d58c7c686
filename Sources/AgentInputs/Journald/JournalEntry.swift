import SluiceModel

/// One journal entry as libsystemd stored it: every data field, binary-safe, plus the
/// cursor that names its position for checkpoints.
public struct JournalEntry: Sendable {
    /// libsystemd's opaque position string (`s=…;i=…;b=…;m=…;t=…;x=…`).
    public var cursor: String
    /// `__REALTIME_TIMESTAMP`: when journald received the entry.
    public var realtime: Timestamp
    /// Every data field in the journal's stored order (not the order it was logged in). A
    /// name may repeat; values may hold any bytes, newlines and NULs included.
    public var fields: [(name: String, value: [UInt8])]

    public init(cursor: String, realtime: Timestamp, fields: [(name: String, value: [UInt8])]) {
        self.cursor = cursor
        self.realtime = realtime
        self.fields = fields
    }

    /// The first value of a field, if the entry has it.
    public subscript(name: String) -> [UInt8]? {
        fields.first { $0.name == name }?.value
    }

    /// A plain decimal number (`3`, `-1`, `12345`), or nil for anything else (signs other than
    /// a leading `-`, spaces, overflow): journal fields are whatever the logger wrote.
    static func decimal(_ bytes: some Collection<UInt8>) -> Int64? {
        var iterator = bytes.makeIterator()
        guard var byte = iterator.next() else { return nil }
        let negative = byte == UInt8(ascii: "-")
        if negative {
            guard let first = iterator.next() else { return nil }
            byte = first
        }
        var value: Int64 = 0
        while true {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit)
                                             : shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
            guard let following = iterator.next() else { return value }
            byte = following
        }
    }
}
