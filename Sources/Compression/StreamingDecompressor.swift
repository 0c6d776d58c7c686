/// Decompresses gzip, zstd or LZ4-frame input that arrives in pieces (an HTTP body, a socket),
/// with a hard limit on the total output.
///
/// Size-limit contract: once the total output would exceed `maxOutputBytes`, `feed` throws
/// `.outputLimitExceeded` having appended exactly `maxOutputBytes` bytes in all, and it never
/// grows the output array's capacity past what the caller had in it plus the limit plus one
/// byte. Output is produced in bounded steps, so memory follows the output, not the input's
/// claims. Concatenated frames (gzip members) decode back to back. After an error, every call
/// rethrows it.
///
/// Owns a C context freed in `deinit`; not thread-safe, so it is deliberately not `Sendable`.
public final class StreamingDecompressor {
    /// The codec being decoded.
    public let codec: CompressionCodec
    /// The most bytes this decompressor will ever produce, over all `feed` calls.
    public let maxOutputBytes: Int
    /// Bytes produced so far.
    public private(set) var totalOutputBytes = 0

    private let decoder: any FrameDecoder
    private var inFrame = false
    private var sawInput = false
    private var failure: CompressionError?
    /// Output bytes offered to the decoder per step: grows while steps fill it, shrinks when
    /// they barely use it, so byte-at-a-time feeding stays cheap.
    private var stepSize: Int
    private static let minimumStep = 16 << 10
    private static let maximumStep = 4 << 20

    /// Creates a decompressor for `codec` (gzip, zstd or lz4; snappy throws `.unsupported`).
    public convenience init(codec: CompressionCodec, maxOutputBytes: Int) throws {
        try self.init(codec: codec, maxOutputBytes: maxOutputBytes, firstStep: Self.minimumStep)
    }

    init(codec: CompressionCodec, maxOutputBytes: Int, firstStep: Int) throws {
        precondition(maxOutputBytes >= 0, "maxOutputBytes must not be negative")
        switch codec {
        case .gzip: decoder = try GzipDecoder()
        case .zstd: decoder = try ZstdDecoder(maxOutputBytes: maxOutputBytes)
        case .lz4: decoder = try LZ4FrameDecoder()
        case .snappy:
            throw CompressionError(
                kind: .unsupported, codec: .snappy,
                message: "snappy has no streaming decompressor; use CompressionCodec.snappy.decompress")
        }
        self.codec = codec
        self.maxOutputBytes = maxOutputBytes
        self.stepSize = max(firstStep, 1)
    }

    /// Decodes `chunk` and appends the output to `output`; throws `.outputLimitExceeded` as soon
    /// as the total would pass `maxOutputBytes`, or `.corruptInput` on invalid data.
    public func feed(_ chunk: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        if let failure { throw failure }
        do {
            try decode(chunk, into: &output)
        } catch let error as CompressionError {
            failure = error
            throw error
        }
    }

    /// Decodes `chunk` and appends the output to `output`; see the pointer overload.
    public func feed(_ chunk: [UInt8], into output: inout [UInt8]) throws {
        try chunk.withUnsafeBytes { try feed($0, into: &output) }
    }

    /// Declares the input complete; throws `.truncatedInput` if it stopped inside a frame or
    /// no input was fed at all.
    public func finish() throws {
        if let failure { throw failure }
        if inFrame {
            throw CompressionError(
                kind: .truncatedInput, codec: codec,
                message: "input ended inside a \(codec == .gzip ? "member" : "frame") after \(totalOutputBytes) output bytes")
        }
        if !sawInput {
            throw CompressionError(kind: .truncatedInput, codec: codec, message: "no input was given")
        }
    }

    private func decode(_ chunk: UnsafeRawBufferPointer, into output: inout [UInt8]) throws {
        var offset = 0
        while true {
            let room = maxOutputBytes - totalOutputBytes
            // One byte past the limit is enough to learn that the limit would be exceeded.
            var window = room < stepSize ? room + 1 : stepSize
            let spare = output.capacity - output.count
            if spare > 0 { window = min(window, spare) }  // fill reserved space before growing

            var step = DecodeStep()
            try output.appendBytes(upTo: window, growthCap: room < Int.max ? room + 1 : room) { buffer in
                step = try decoder.decode(UnsafeRawBufferPointer(rebasing: chunk[offset...]), into: buffer)
                return step.produced
            }
            totalOutputBytes += step.produced
            offset += step.consumed
            if step.consumed > 0 { sawInput = true }
            if totalOutputBytes > maxOutputBytes {
                output.removeLast(totalOutputBytes - maxOutputBytes)
                throw CompressionError.outputLimit(codec, maxOutputBytes)
            }
            if step.frameEnded {
                inFrame = false
            } else if step.consumed > 0 || step.produced > 0 {
                inFrame = true
            }

            if step.produced == window {
                // The decoder may hold more output; offer a bigger window.
                stepSize = max(stepSize, min(stepSize * 2, Self.maximumStep))
                continue
            }
            if step.produced * 8 < window, stepSize > Self.minimumStep {
                stepSize = max(stepSize / 2, Self.minimumStep)
            }
            if offset == chunk.count { return }
            if step.consumed == 0 && step.produced == 0 && !step.frameEnded {
                throw CompressionError(
                    kind: .libraryError, codec: codec,
                    message: "decoder made no progress with \(chunk.count - offset) input bytes left")
            }
        }
    }
}
