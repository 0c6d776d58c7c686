/// Every file and folder name the commit log uses, in one place.
///
/// ```
/// <data dir>/
///   <topic>-<partition>/                  one folder per partition
///     00000000000000000000.log            segment: RecordBatch v2 bytes, verbatim
///     00000000000000000000.index          sparse offset index of that segment
///     00000000000000000000.timeindex      sparse time index of that segment
///     recovery-point                      offset below which every segment is fsynced
///     clean-shutdown                      present only between a clean close and the next open
///     *.tmp                               a file being replaced atomically; deleted on open
/// ```
/// A segment is named after its base offset (the first offset it may hold), in 20 digits.
public enum LogFileNames {
    public static let logSuffix = ".log"
    public static let offsetIndexSuffix = ".index"
    public static let timeIndexSuffix = ".timeindex"
    public static let temporarySuffix = ".tmp"
    public static let recoveryPoint = "recovery-point"
    public static let cleanShutdown = "clean-shutdown"

    static func stem(_ baseOffset: Int64) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    public static func log(_ baseOffset: Int64) -> String { stem(baseOffset) + logSuffix }
    public static func offsetIndex(_ baseOffset: Int64) -> String { stem(baseOffset) + offsetIndexSuffix }
    public static func timeIndex(_ baseOffset: Int64) -> String { stem(baseOffset) + timeIndexSuffix }

    /// The base offset in a segment file name, if `name` is one with `suffix`.
    static func baseOffset(ofFile name: String, suffix: String) -> Int64? {
        guard name.hasSuffix(suffix) else { return nil }
        let stem = name.dropLast(suffix.count)
        guard stem.count == 20, stem.allSatisfy(\.isASCII), stem.allSatisfy(\.isNumber) else { return nil }
        return Int64(stem)
    }

    /// `<topic>-<partition>`.
    public static func partitionDirectory(_ partition: TopicPartition) -> String {
        "\(partition.topic)-\(partition.partition)"
    }

    /// Parses a partition folder name; topics may contain '-', so the last one separates.
    public static func topicPartition(fromDirectory name: String) -> TopicPartition? {
        guard let dash = name.lastIndex(of: "-") else { return nil }
        let topic = String(name[..<dash])
        guard let number = Int32(name[name.index(after: dash)...]), number >= 0,
              TopicPartition.isValidTopicName(topic)
        else { return nil }
        return TopicPartition(topic: topic, partition: number)
    }
}
