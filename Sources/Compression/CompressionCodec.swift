import CZstd

/// The compression codecs of Kafka record batches, backed by the system C libraries.
///
/// Formats: gzip is a gzip member (zlib windowBits 31); snappy compresses to raw snappy and
/// decompresses raw or xerial-framed snappy; lz4 is the LZ4 frame format; zstd is zstd frames.
/// Decompression accepts concatenated gzip members, zstd frames and LZ4 frames.
public enum CompressionCodec: String, Sendable, CaseIterable {
    case gzip, snappy, lz4, zstd
}

extension CompressionCodec {
    /// Compresses `input` into one frame (gzip member); `level` nil is the library default,
    /// other values are clamped to the codec's range, and snappy ignores it.
    public func compress(_ input: UnsafeRawBufferPointer, level: Int? = nil) throws -> [UInt8] {
        // Start small relative to the input and let the output grow; the worst-case bound is
        // rarely needed and would double the memory of every compressible batch.
        func firstGuess(_ bound: Int) -> Int { min(bound, max(input.count / 4, 4096)) }
        switch self {
        case .gzip:
            let encoder = try GzipEncoder(level: level)
            return try encoder.encodeAll(input, initialCapacity: firstGuess(encoder.bound(input.count)))
        case .zstd:
            let encoder = try ZstdEncoder(level: level, pledgedSize: input.count)
            return try encoder.encodeAll(input, initialCapacity: firstGuess(ZSTD_compressBound(input.count)))
        case .lz4:
            let encoder = try LZ4FrameEncoder(level: level)
            return try encoder.encodeAll(input, initialCapacity: firstGuess(encoder.bound(input.count)))
        case .snappy:
            return try SnappyCodec.compress(input)
        }
    }

    /// Compresses `input`; see the pointer overload.
    public func compress(_ input: [UInt8], level: Int? = nil) throws -> [UInt8] {
        try input.withUnsafeBytes { try compress($0, level: level) }
    }

    /// Decompresses a whole buffer (every frame or member in it).
    ///
    /// Size-limit contract: throws `.outputLimitExceeded(limit: maxOutputBytes)` as soon as the
    /// output would pass `maxOutputBytes`, having allocated no more than about that many bytes,
    /// however large the input claims to expand. Empty or cut-off input throws `.truncatedInput`.
    public func decompress(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws -> [UInt8] {
        precondition(maxOutputBytes >= 0, "maxOutputBytes must not be negative")
        guard !input.isEmpty else {
            throw CompressionError(kind: .truncatedInput, codec: self, message: "input is empty")
        }
        if self == .snappy {
            return try SnappyCodec.decompress(input, maxOutputBytes: maxOutputBytes)
        }
        // A declared size is only a hint for the first allocation, trusted neither past the limit
        // nor past the codec's best possible ratio; an exact hint decodes in one step.
        let guess = declaredSize(input).flatMap { $0 < maxOutputBytes && $0 / maxRatio <= input.count ? $0 + 1 : nil }
            ?? min(max(input.count * 4, 16 << 10), 1 << 20, maxOutputBytes == .max ? .max : maxOutputBytes + 1)
        let decompressor = try StreamingDecompressor(codec: self, maxOutputBytes: maxOutputBytes, firstStep: guess)
        var output: [UInt8] = []
        output.reserveCapacity(guess)
        try decompressor.feed(input, into: &output)
        try decompressor.finish()
        return output
    }

    /// Decompresses `input`; see the pointer overload for the size-limit contract.
    public func decompress(_ input: [UInt8], maxOutputBytes: Int) throws -> [UInt8] {
        try input.withUnsafeBytes { try decompress($0, maxOutputBytes: maxOutputBytes) }
    }

    /// The output size the (first) frame claims, used only to size the first allocation.
    private func declaredSize(_ input: UnsafeRawBufferPointer) -> Int? {
        switch self {
        case .zstd:
            let size = ZSTD_getFrameContentSize(input.baseAddress, input.count)
            // The unknown/error markers are the top two UInt64 values.
            return size < UInt64(Int.max) ? Int(size) : nil
        case .lz4:
            return LZ4FrameDecoder.declaredContentSize(input)
        case .gzip:
            // ISIZE: the last member's size mod 2^32, exact for the usual single member.
            guard input.count >= 18 else { return nil }
            return Int(UInt32(littleEndian: input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self)))
        case .snappy:
            return nil
        }
    }

    /// Roughly the most output one input byte can yield: deflate's 1032:1, LZ4's 255:1 and a zstd
    /// RLE block's 128 KiB from 4 bytes.
    private var maxRatio: Int {
        switch self {
        case .gzip: 1032
        case .lz4: 256
        case .zstd: 32768
        case .snappy: 64
        }
    }
}
