import CLZ4

/// Decodes LZ4 frames (the `LZ4F_*` format Kafka uses), including concatenated frames.
///
/// Besides the caller's output, LZ4F buffers at most one block (up to 4 MiB, per frame header).
final class LZ4FrameDecoder: FrameDecoder {
    private let context: OpaquePointer

    init() throws {
        var context: OpaquePointer?
        let result = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(result) == 0, let context else {
            throw CompressionError.lz4f(result, doing: "LZ4F_createDecompressionContext")
        }
        self.context = context
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> DecodeStep {
        var consumed = input.count
        var produced = output.count
        let hint = LZ4F_decompress(context, output.baseAddress, &produced, input.baseAddress, &consumed, nil)
        if LZ4F_isError(hint) != 0 {
            throw CompressionError.lz4f(hint, doing: "LZ4F_decompress")
        }
        // LZ4F stops exactly at the end of a frame and returns 0 there.
        return DecodeStep(consumed: consumed, produced: produced, frameEnded: hint == 0)
    }

    /// The content size an LZ4 frame header declares, if it declares one; read without a context.
    static func declaredContentSize(_ input: UnsafeRawBufferPointer) -> Int? {
        // Magic 0x184D2204 (LE), FLG (bit 3: content size present), BD, then 8-byte LE size.
        guard input.count >= 14, input.loadUnaligned(as: UInt32.self).littleEndian == 0x184D_2204,
              input[4] & 0x08 != 0 else { return nil }
        let size = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: 6, as: UInt64.self))
        return size <= UInt64(Int.max) ? Int(size) : nil
    }
}
