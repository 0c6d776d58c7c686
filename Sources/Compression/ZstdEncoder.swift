import CZstd

/// Compresses a whole input into one zstd frame that records its content size.
final class ZstdEncoder: FrameEncoder {
    private let context: OpaquePointer
    let minimumWindow = 64

    /// `level` nil means zstd's default (3); other values are clamped by zstd to its range.
    init(level: Int?, pledgedSize: Int) throws {
        guard let context = ZSTD_createCCtx() else {
            throw CompressionError(kind: .libraryError, codec: .zstd, message: "ZSTD_createCCtx failed")
        }
        let zlevel = Int32(clamping: level ?? Int(ZSTD_CLEVEL_DEFAULT))
        for result in [
            ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, zlevel),
            ZSTD_CCtx_setPledgedSrcSize(context, UInt64(pledgedSize)),
        ] where ZSTD_isError(result) != 0 {
            ZSTD_freeCCtx(context)
            throw CompressionError.zstd(result, doing: "configuring the compression context")
        }
        self.context = context
    }

    deinit { ZSTD_freeCCtx(context) }

    func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> EncodeStep {
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var target = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = ZSTD_compressStream2(context, &target, &source, ZSTD_e_end)
        if ZSTD_isError(remaining) != 0 {
            throw CompressionError.zstd(remaining, doing: "ZSTD_compressStream2")
        }
        return EncodeStep(consumed: source.pos, produced: target.pos, finished: remaining == 0)
    }
}
