/// Why a RecordBatch was refused. Each case maps to the Kafka error a broker returns.
public enum RecordBatchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Too short, Length disagrees with the bytes given, or a bad CRC (Kafka CORRUPT_MESSAGE).
    case corrupt(String)
    /// Magic other than 2 (Kafka UNSUPPORTED_VERSION / CORRUPT_MESSAGE).
    case unsupportedMagic(Int8)
    /// Codec bits 5–7 (Kafka UNSUPPORTED_COMPRESSION_TYPE).
    case unsupportedCompression(Int8)
    /// Record count, offsets or a record's own framing are inconsistent (Kafka INVALID_RECORD).
    case invalidRecord(String)
    /// The records could not be decompressed, or would exceed the size limit.
    case decompression(String)

    public var description: String {
        switch self {
        case .corrupt(let why): "corrupt record batch: \(why)"
        case .unsupportedMagic(let magic): "unsupported record batch magic \(magic) (only 2 is accepted)"
        case .unsupportedCompression(let bits): "unsupported compression type \(bits)"
        case .invalidRecord(let why): "invalid record: \(why)"
        case .decompression(let why): "cannot decompress records: \(why)"
        }
    }
}
