import CLZ4

/// Writes one LZ4 frame the way Kafka's Java client does: 64 KiB independent blocks, no content
/// size and no content checksum, so every Kafka consumer can read it.
final class LZ4FrameEncoder: FrameEncoder {
    private let context: OpaquePointer
    private var preferences = LZ4F_preferences_t()
    private var begun = false
    private static let chunkSize = 64 << 10
    let minimumWindow: Int

    /// `level` nil or 0 is LZ4's fast mode; 1...12 use LZ4HC (higher counts as 12); negative
    /// values trade ratio for speed.
    init(level: Int?) throws {
        var context: OpaquePointer?
        let result = LZ4F_createCompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(result) == 0, let context else {
            throw CompressionError.lz4f(result, doing: "LZ4F_createCompressionContext")
        }
        self.context = context
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.compressionLevel = Int32(clamping: level ?? 0)
        minimumWindow = Int(LZ4F_HEADER_SIZE_MAX) + LZ4F_compressBound(Self.chunkSize, &preferences)
    }

    deinit { LZ4F_freeCompressionContext(context) }

    /// The worst-case size of the whole frame for `count` input bytes.
    func bound(_ count: Int) -> Int { LZ4F_compressFrameBound(count, &preferences) }

    func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> EncodeStep {
        var step = EncodeStep()
        func room() -> Int { output.count - step.produced }
        func check(_ result: Int, _ what: String) throws -> Int {
            if LZ4F_isError(result) != 0 { throw CompressionError.lz4f(result, doing: what) }
            return result
        }
        if !begun {
            step.produced += try check(
                LZ4F_compressBegin(context, output.baseAddress, output.count, &preferences), "LZ4F_compressBegin")
            begun = true
        }
        // LZ4F_compressUpdate needs room for the worst case of each chunk it is given.
        while step.consumed < input.count {
            let chunk = min(input.count - step.consumed, Self.chunkSize)
            guard room() >= LZ4F_compressBound(chunk, &preferences) else { return step }
            step.produced += try check(
                LZ4F_compressUpdate(
                    context, output.baseAddress! + step.produced, room(),
                    input.baseAddress! + step.consumed, chunk, nil),
                "LZ4F_compressUpdate")
            step.consumed += chunk
        }
        guard room() >= LZ4F_compressBound(0, &preferences) else { return step }
        step.produced += try check(
            LZ4F_compressEnd(context, output.baseAddress! + step.produced, room(), nil), "LZ4F_compressEnd")
        step.finished = true
        return step
    }
}
