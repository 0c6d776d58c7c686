import CZlib

/// Deflates a whole input into one gzip member (windowBits 31), the format Kafka's gzip codec uses.
final class GzipEncoder: FrameEncoder {
    private let stream: UnsafeMutablePointer<z_stream>
    let minimumWindow = 64

    /// `level` is clamped to zlib's -1...9 (-1 is zlib's default, 6).
    init(level: Int?) throws {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let zlevel = Int32(min(max(level ?? Int(Z_DEFAULT_COMPRESSION), -1), 9))
        let status = czlib_deflateInit2(stream, zlevel, 31, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            let error = CompressionError.zlib(status, stream, doing: "deflateInit2")
            stream.deallocate()
            throw error
        }
        self.stream = stream
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// The worst-case compressed size zlib promises for `count` input bytes.
    func bound(_ count: Int) -> Int { Int(deflateBound(stream, UInt(count))) }

    func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> EncodeStep {
        // avail_in is 32-bit; Z_FINISH may only be given once the rest of the input fits.
        let inCount = UInt32(truncatingIfNeeded: min(input.count, Int(UInt32.max)))
        let outCount = UInt32(truncatingIfNeeded: min(output.count, Int(UInt32.max)))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = inCount
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = outCount
        let status = deflate(stream, Int(inCount) == input.count ? Z_FINISH : Z_NO_FLUSH)
        let step = EncodeStep(
            consumed: Int(inCount - stream.pointee.avail_in),
            produced: Int(outCount - stream.pointee.avail_out),
            finished: status == Z_STREAM_END)
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
            throw CompressionError.zlib(status, stream, doing: "deflate")
        }
        return step
    }
}
