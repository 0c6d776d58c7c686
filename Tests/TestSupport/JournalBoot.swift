import Foundation

/// One synthetic boot: its own boot id, and wall-clock and monotonic clocks that advance
/// together, so that entries order (and cursors seek) consistently across files.
public struct JournalBoot: Sendable {
    public let bootID: String
    public private(set) var realtime: UInt64
    public private(set) var monotonic: UInt64

    /// - Parameter realtime: the first entry's wall-clock time, microseconds since the epoch.
    public init(realtime: UInt64, bootID: String = JournalBoot.randomID()) {
        self.bootID = bootID
        self.realtime = realtime
        monotonic = 1_000_000
    }

    /// An entry at the clocks' current time; then both advance by `step` microseconds.
    public mutating func entry(_ fields: [(name: String, value: [UInt8])], step: UInt64 = 1000) -> JournalWriter.Entry {
        defer {
            realtime += step
            monotonic += step
        }
        return JournalWriter.Entry(realtime: realtime, monotonic: monotonic, bootID: bootID, fields: fields)
    }

    public static func randomID() -> String {
        UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }
}
