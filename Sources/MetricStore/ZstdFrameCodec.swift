import CZstd

/// zstd frames for blocks, with contexts reused across frames (a fresh context per frame
/// costs about as much as compressing a small frame). Frames carry zstd's content checksum,
/// which decompression verifies: a damaged frame fails there, with a clear error.
///
/// Thread-safety: not thread-safe; one codec per flush or per read.
final class ZstdFrameCodec {
    private let compressor: OpaquePointer
    private let decompressor: OpaquePointer

    init(level: Int = 3) {
        compressor = ZSTD_createCCtx()
        decompressor = ZSTD_createDCtx()
        ZSTD_CCtx_setParameter(compressor, ZSTD_c_compressionLevel, Int32(clamping: level))
        ZSTD_CCtx_setParameter(compressor, ZSTD_c_checksumFlag, 1)
    }

    deinit {
        ZSTD_freeCCtx(compressor)
        ZSTD_freeDCtx(decompressor)
    }

    /// Appends one zstd frame of `input` to `output`; returns its length.
    func compress(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws -> Int {
        let bound = ZSTD_compressBound(input.count)
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: bound))
        let written = output.withUnsafeMutableBytes { target in
            ZSTD_compress2(compressor, target.baseAddress! + start, bound, input.baseAddress, input.count)
        }
        guard ZSTD_isError(written) == 0 else {
            output.removeLast(bound)
            throw MetricStoreError.corrupt(path: "(block being written)",
                                           reason: "zstd cannot compress: \(String(cString: ZSTD_getErrorName(written)))")
        }
        output.removeLast(bound - written)
        return written
    }

    /// Decompresses a frame that must expand to exactly `rawLength` bytes.
    func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int, path: String, what: String) throws -> [UInt8] {
        var result = 0
        let output = [UInt8](unsafeUninitializedCapacity: rawLength) { buffer, initialized in
            result = ZSTD_decompressDCtx(decompressor, buffer.baseAddress, rawLength, input.baseAddress, input.count)
            initialized = ZSTD_isError(result) != 0 ? 0 : result
        }
        guard ZSTD_isError(result) == 0 else {
            throw MetricStoreError.corrupt(path: path, reason: "\(what) does not decompress (\(String(cString: ZSTD_getErrorName(result))))")
        }
        guard result == rawLength else {
            throw MetricStoreError.corrupt(path: path, reason: "\(what) decompresses to \(result) bytes, not \(rawLength)")
        }
        return output
    }
}
