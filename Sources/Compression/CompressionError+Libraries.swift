import CLZ4
import CZlib
import CZstd

// Turns each C library's status codes into a `CompressionError`, in one place.
extension CompressionError {
    static func outputLimit(_ codec: CompressionCodec, _ limit: Int) -> CompressionError {
        CompressionError(
            kind: .outputLimitExceeded(limit: limit), codec: codec,
            message: "decompressed output would exceed the limit of \(limit) bytes")
    }

    /// A zlib status from `inflate`/`deflate`, with `msg` from the stream when zlib set one.
    static func zlib(_ status: Int32, _ stream: UnsafePointer<z_stream>?, doing what: String) -> CompressionError {
        let name: String
        let kind: Kind
        switch status {
        case Z_DATA_ERROR: name = "Z_DATA_ERROR"; kind = .corruptInput
        case Z_NEED_DICT: name = "Z_NEED_DICT"; kind = .corruptInput
        case Z_MEM_ERROR: name = "Z_MEM_ERROR"; kind = .libraryError
        case Z_STREAM_ERROR: name = "Z_STREAM_ERROR"; kind = .libraryError
        case Z_BUF_ERROR: name = "Z_BUF_ERROR"; kind = .libraryError
        case Z_VERSION_ERROR: name = "Z_VERSION_ERROR"; kind = .libraryError
        default: name = "zlib status \(status)"; kind = .libraryError
        }
        var detail = name
        if let msg = stream?.pointee.msg { detail = "\(String(cString: msg)) (\(name))" }
        return CompressionError(kind: kind, codec: .gzip, message: "\(what) failed: \(detail)")
    }

    /// A `size_t` result that `ZSTD_isError` flagged.
    static func zstd(_ result: Int, doing what: String, windowLogMax: Int32? = nil, limit: Int? = nil) -> CompressionError {
        let code = ZSTD_getErrorCode(result)
        let text = String(cString: ZSTD_getErrorName(result))
        let kind: Kind
        var message = "\(what) failed: \(text)"
        switch code {
        case ZSTD_error_memory_allocation, ZSTD_error_GENERIC, ZSTD_error_parameter_unsupported,
             ZSTD_error_parameter_outOfBound, ZSTD_error_stage_wrong, ZSTD_error_init_missing:
            kind = .libraryError
        case ZSTD_error_frameParameter_windowTooLarge:
            // The decoder caps the window from the output limit, so a hostile header cannot make
            // it allocate far more than the caller allowed.
            if let limit, let windowLogMax {
                kind = .outputLimitExceeded(limit: limit)
                message += " (window capped at 2^\(windowLogMax) bytes for an output limit of \(limit) bytes)"
            } else {
                kind = .corruptInput
            }
        default:
            kind = .corruptInput
        }
        return CompressionError(kind: kind, codec: .zstd, message: message)
    }

    /// A `size_t` result that `LZ4F_isError` flagged.
    static func lz4f(_ result: Int, doing what: String) -> CompressionError {
        let text = String(cString: LZ4F_getErrorName(result))
        let misuse = ["allocation_failed", "parameter_null", "dstMaxSize_tooSmall", "compressionState_uninitialized"]
        let kind: Kind = misuse.contains { text.hasSuffix($0) } ? .libraryError : .corruptInput
        return CompressionError(kind: kind, codec: .lz4, message: "\(what) failed: \(text)")
    }
}
