import CZlib

/// Inflates gzip members (zlib windowBits 31), one after another: concatenated members are one
/// valid gzip stream, and Kafka clients and HTTP peers may send them.
final class GzipDecoder: FrameDecoder {
    // Heap-allocated because zlib keeps a pointer back to the z_stream and checks it.
    private let stream: UnsafeMutablePointer<z_stream>
    private var memberEnded = false

    init() throws {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = czlib_inflateInit2(stream, 31)
        guard status == Z_OK else {
            let error = CompressionError.zlib(status, stream, doing: "inflateInit2")
            stream.deallocate()
            throw error
        }
        self.stream = stream
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> DecodeStep {
        if memberEnded {
            // More bytes after a member's trailer: they must be another member.
            guard !input.isEmpty else { return DecodeStep() }
            inflateReset(stream)
            memberEnded = false
        }
        let inCount = UInt32(truncatingIfNeeded: min(input.count, Int(UInt32.max)))
        let outCount = UInt32(truncatingIfNeeded: min(output.count, Int(UInt32.max)))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = inCount
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = outCount
        let status = inflate(stream, Z_NO_FLUSH)
        var step = DecodeStep(
            consumed: Int(inCount - stream.pointee.avail_in),
            produced: Int(outCount - stream.pointee.avail_out))
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        switch status {
        case Z_OK, Z_BUF_ERROR:  // Z_BUF_ERROR only means no progress was possible this call
            return step
        case Z_STREAM_END:
            memberEnded = true
            step.frameEnded = true
            return step
        default:
            throw CompressionError.zlib(status, stream, doing: "inflate")
        }
    }
}
