import CZstd
import Compression

/// zstd for block columns with contexts reused across columns and blocks.
///
/// `CompressionCodec.zstd` makes a fresh context per call; for 1 MiB columns its table set-up
/// (fresh pages, zeroed) cost about as much as compressing, so the store keeps one context
/// per flush and one per scan. CZstd is the system library the Compression target wraps.
/// Thread-safety: not thread-safe; one codec per flush or scan.
final class ZstdColumnCodec {
    private let compressor: OpaquePointer
    private let decompressor: OpaquePointer
    let level: Int32

    init(level: Int = 3) {
        compressor = ZSTD_createCCtx()
        decompressor = ZSTD_createDCtx()
        self.level = Int32(clamping: level)
    }

    deinit {
        ZSTD_freeCCtx(compressor)
        ZSTD_freeDCtx(decompressor)
    }

    /// Appends one zstd frame of `input` to `output`; returns its length.
    func compress(_ input: [UInt8], appendingTo output: inout [UInt8]) throws -> Int {
        let bound = ZSTD_compressBound(input.count)
        let start = output.count
        output.reserveCapacity(start + bound)
        try input.withUnsafeBytes { source in
            output.append(contentsOf: repeatElement(0, count: bound))
            let written = output.withUnsafeMutableBytes { target in
                ZSTD_compressCCtx(compressor, target.baseAddress! + start, bound, source.baseAddress, source.count, level)
            }
            if ZSTD_isError(written) != 0 {
                output.removeLast(bound)
                throw CompressionError(kind: .libraryError, codec: .zstd,
                                       message: "compressing a block column: \(String(cString: ZSTD_getErrorName(written)))")
            }
            output.removeLast(bound - written)
        }
        return output.count - start
    }

    /// Decompresses a frame that must expand to exactly `rawLength` bytes.
    func decompress(_ input: UnsafeRawBufferPointer, rawLength: Int, path: String) throws -> [UInt8] {
        var result = 0
        let output = [UInt8](unsafeUninitializedCapacity: rawLength) { buffer, initialized in
            result = ZSTD_decompressDCtx(decompressor, buffer.baseAddress, rawLength, input.baseAddress, input.count)
            initialized = ZSTD_isError(result) != 0 ? 0 : result
        }
        guard ZSTD_isError(result) == 0, result == rawLength else {
            throw LogStoreError.corrupt(path: path, reason: "a column does not decompress to its \(rawLength) bytes")
        }
        return output
    }
}
