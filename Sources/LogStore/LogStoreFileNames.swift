/// Every file and folder name the log store uses, in one place.
///
/// ```
/// <directory>/
///   committed-offsets                         durable high-water per (topic, partition)
///   parts/
///     <min-time>-<sequence>.part              an immutable part (see `PartFile`)
///     *.tmp                                   being written or replaced; deleted on open
///     *.corrupt                               refused at open, kept for inspection
/// ```
/// `<min-time>` is the part's first timestamp in nanoseconds (20 digits, 0 for times before
/// 1970), `<sequence>` a counter (10 digits) that makes names unique and orders parts by age.
public enum LogStoreFileNames {
    public static let partsDirectory = "parts"
    public static let committedOffsets = "committed-offsets"
    public static let partSuffix = ".part"
    /// The suffix `FileSystem.writeAtomically` uses too, so one sweep at open removes both.
    public static let temporarySuffix = ".tmp"
    public static let corruptSuffix = ".corrupt"

    static func part(minTime: Int64, sequence: UInt64) -> String {
        padded(String(max(0, minTime)), 20) + "-" + padded(String(sequence), 10) + partSuffix
    }

    /// The sequence number in a part file name, if `name` is one.
    static func sequence(ofPart name: String) -> UInt64? {
        guard name.hasSuffix(partSuffix), let dash = name.lastIndex(of: "-") else { return nil }
        return UInt64(name[name.index(after: dash)...].dropLast(partSuffix.count))
    }

    private static func padded(_ digits: String, _ width: Int) -> String {
        String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
