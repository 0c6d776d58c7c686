/// Why a compression or decompression call failed, with the codec and the library's own words,
/// so callers can log it and map it to a Kafka error code or an HTTP status.
public struct CompressionError: Error, CustomStringConvertible, Equatable {
    /// The broad reason, for deciding what to do about it.
    public enum Kind: Equatable, Sendable {
        /// The input is not valid data for the codec (bad header, checksum or block).
        case corruptInput
        /// The input ended in the middle of a frame, member or block (or was empty).
        case truncatedInput
        /// Decompressing would produce more than `limit` bytes; nothing beyond the limit was kept.
        case outputLimitExceeded(limit: Int)
        /// The operation is not offered for this codec (e.g. streaming snappy).
        case unsupported
        /// The C library failed for a reason unrelated to the input (e.g. out of memory).
        case libraryError
    }

    /// The broad reason.
    public let kind: Kind
    /// The codec that failed.
    public let codec: CompressionCodec
    /// What failed and why, including the library's error string when there is one.
    public let message: String

    /// Creates an error; `message` should say what was being done and what the library said.
    public init(kind: Kind, codec: CompressionCodec, message: String) {
        self.kind = kind
        self.codec = codec
        self.message = message
    }

    public var description: String { "\(codec.rawValue): \(message)" }
}
