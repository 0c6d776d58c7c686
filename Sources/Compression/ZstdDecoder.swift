import CZstd

/// Decodes zstd frames with `ZSTD_decompressStream`, so frames without a content size
/// (streaming-compressed, as Java clients write) and concatenated frames both work.
final class ZstdDecoder: FrameDecoder {
    private let context: OpaquePointer
    private let windowLogMax: Int32
    private let limit: Int

    /// Caps the frame window near `maxOutputBytes` (never below 8 MiB, which every standard level
    /// fits), since a hostile header could otherwise ask for up to 128 MiB of window buffer.
    init(maxOutputBytes: Int) throws {
        guard let context = ZSTD_createDCtx() else {
            throw CompressionError(kind: .libraryError, codec: .zstd, message: "ZSTD_createDCtx failed")
        }
        let needed = maxOutputBytes <= 1 ? 0 : Int.bitWidth - (maxOutputBytes - 1).leadingZeroBitCount
        let windowLogMax = Int32(min(max(needed, 23), 31))  // 31 = ZSTD_WINDOWLOG_MAX on 64-bit
        let result = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, windowLogMax)
        if ZSTD_isError(result) != 0 {
            ZSTD_freeDCtx(context)
            throw CompressionError.zstd(result, doing: "setting windowLogMax")
        }
        self.context = context
        self.windowLogMax = windowLogMax
        self.limit = maxOutputBytes
    }

    deinit { ZSTD_freeDCtx(context) }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> DecodeStep {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let result = ZSTD_decompressStream(context, &target, &source)
        if ZSTD_isError(result) != 0 {
            throw CompressionError.zstd(result, doing: "ZSTD_decompressStream", windowLogMax: windowLogMax, limit: limit)
        }
        // 0 means a frame is complete and flushed; the next byte starts a new frame.
        return DecodeStep(consumed: source.pos, produced: target.pos, frameEnded: result == 0)
    }
}
