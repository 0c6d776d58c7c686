import CSnappy

/// Snappy as Kafka clients use it: librdkafka writes raw snappy, while the Java client and
/// kafka-python write xerial framing, so decompression accepts both.
///
/// Xerial layout: magic `82 'S' 'N' 'A' 'P' 'P' 'Y' 00`, int32 BE version, int32 BE compatible
/// version, then blocks of int32 BE length + raw snappy. Raw snappy is a single block that
/// starts with its uncompressed length, so the limit is checked before anything is allocated.
enum SnappyCodec {
    static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let xerialHeaderSize = 16

    /// Compresses into raw snappy, one block (the format has no chunking to stream over).
    static func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        guard input.count <= Int(UInt32.max) else {
            throw CompressionError(
                kind: .unsupported, codec: .snappy,
                message: "raw snappy cannot hold \(input.count) bytes (the format's limit is 4 GiB - 1)")
        }
        let bound = snappy_max_compressed_length(input.count)
        return try [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            var length = bound
            let status = snappy_compress(
                input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count,
                UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), &length)
            guard status == SNAPPY_OK else {
                throw CompressionError(kind: .libraryError, codec: .snappy, message: "snappy_compress failed (status \(status.rawValue))")
            }
            count = length
        }
    }

    /// Decompresses raw or xerial-framed snappy; throws `.outputLimitExceeded` before allocating
    /// when a block declares more than the bytes left under `maxOutputBytes`.
    static func decompress(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws -> [UInt8] {
        var output: [UInt8] = []
        if input.starts(with: xerialMagic) {
            try decompressXerial(input, maxOutputBytes: maxOutputBytes, into: &output)
        } else {
            try decompressBlock(input, room: maxOutputBytes, limit: maxOutputBytes, into: &output, what: "raw snappy")
        }
        return output
    }

    private static func decompressXerial(
        _ input: UnsafeRawBufferPointer, maxOutputBytes: Int, into output: inout [UInt8]
    ) throws {
        var offset = 0
        var block = 0
        while offset < input.count {
            let rest = UnsafeRawBufferPointer(rebasing: input[offset...])
            // Concatenated xerial streams repeat the header; a block length can never look like
            // the magic because its top bit would be set.
            if rest.starts(with: xerialMagic) {
                guard rest.count >= xerialHeaderSize else {
                    throw truncated("xerial header at offset \(offset) has \(rest.count) of \(xerialHeaderSize) bytes")
                }
                offset += xerialHeaderSize
                continue
            }
            guard rest.count >= 4 else {
                throw truncated("xerial block \(block) length at offset \(offset) has \(rest.count) of 4 bytes")
            }
            let length = Int(UInt32(bigEndian: rest.loadUnaligned(as: UInt32.self)))
            guard length <= Int(Int32.max) else {
                throw CompressionError(
                    kind: .corruptInput, codec: .snappy,
                    message: "xerial block \(block) at offset \(offset) has an invalid length \(length)")
            }
            guard length <= rest.count - 4 else {
                throw truncated("xerial block \(block) at offset \(offset) declares \(length) bytes but \(rest.count - 4) remain")
            }
            if length > 0 {
                try decompressBlock(
                    UnsafeRawBufferPointer(rebasing: rest[4..<(4 + length)]),
                    room: maxOutputBytes - output.count, limit: maxOutputBytes, into: &output,
                    what: "xerial block \(block) at offset \(offset)")
            }
            offset += 4 + length
            block += 1
        }
    }

    /// Appends one raw snappy block, after checking its declared length against `room`.
    private static func decompressBlock(
        _ block: UnsafeRawBufferPointer, room: Int, limit: Int, into output: inout [UInt8], what: String
    ) throws {
        guard !block.isEmpty else { throw truncated("\(what) is empty") }
        let source = block.baseAddress!.assumingMemoryBound(to: CChar.self)
        var length = 0
        guard snappy_uncompressed_length(source, block.count, &length) == SNAPPY_OK else {
            throw CompressionError(kind: .corruptInput, codec: .snappy, message: "\(what): invalid uncompressed-length header")
        }
        guard length <= room else {
            throw CompressionError(
                kind: .outputLimitExceeded(limit: limit), codec: .snappy,
                message: "\(what) declares \(length) bytes, over the \(room) left of the \(limit)-byte output limit")
        }
        // One spare byte keeps the buffer non-null for empty blocks.
        try output.appendBytes(upTo: length + 1, growthCap: room + 1) { buffer in
            var written = buffer.count
            let status = snappy_uncompress(
                source, block.count, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), &written)
            guard status == SNAPPY_OK, written == length else {
                throw CompressionError(
                    kind: .corruptInput, codec: .snappy,
                    message: "\(what): snappy_uncompress failed (status \(status.rawValue))")
            }
            return written
        }
    }

    private static func truncated(_ message: String) -> CompressionError {
        CompressionError(kind: .truncatedInput, codec: .snappy, message: message)
    }
}
