/// Every file and folder name the metric store uses, in one place.
///
/// ```
/// <directory>/
///   committed-offsets                           durable high-water per (topic, partition)
///   blocks/
///     <min-time>-<sequence>.block               an immutable block (see `MetricBlockWriter`)
///     *.tmp                                     being written; deleted on open
///     *.corrupt                                 refused at open, kept for inspection
/// ```
/// `<min-time>` is the block's first timestamp in milliseconds (20 digits, 0 for times before
/// 1970), `<sequence>` a counter (10 digits) that makes names unique and orders blocks by age.
public enum MetricStoreFileNames {
    public static let blocksDirectory = "blocks"
    public static let committedOffsets = "committed-offsets"
    public static let blockSuffix = ".block"
    /// The suffix `FileSystem.writeAtomically` uses too, so one sweep at open removes both.
    public static let temporarySuffix = ".tmp"
    public static let corruptSuffix = ".corrupt"

    static func block(minTime: Int64, sequence: UInt64) -> String {
        padded(String(max(0, minTime)), 20) + "-" + padded(String(sequence), 10) + blockSuffix
    }

    /// The sequence number in a block file name (also one set aside as corrupt), if `name` is one.
    static func sequence(ofBlock name: String) -> UInt64? {
        var name = Substring(name)
        if name.hasSuffix(corruptSuffix) { name = name.dropLast(corruptSuffix.count) }
        guard name.hasSuffix(blockSuffix), let dash = name.lastIndex(of: "-") else { return nil }
        return UInt64(name[name.index(after: dash)...].dropLast(blockSuffix.count))
    }

    private static func padded(_ digits: String, _ width: Int) -> String {
        String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
