import Compression
import Testing

/// Incremental input must decode exactly like one-shot input, however it is cut.
@Suite struct StreamingDecompressorTests {
    static func feedAll(_ codec: CompressionCodec, _ input: [UInt8], chunkSizes: () -> Int, limit: Int = 1 << 26) throws -> [UInt8] {
        let decompressor = try StreamingDecompressor(codec: codec, maxOutputBytes: limit)
        var output: [UInt8] = []
        var offset = 0
        while offset < input.count {
            let end = min(offset + chunkSizes(), input.count)
            try input[offset..<end].withUnsafeBytes { try decompressor.feed($0, into: &output) }
            offset = end
        }
        try decompressor.finish()
        #expect(decompressor.totalOutputBytes == output.count)
        return output
    }

    @Test(arguments: CompressionCodec.framed)
    func oneByteAtATimeMatchesOneShot(codec: CompressionCodec) throws {
        let input = TestData.text(150_000) + TestData.random(20_000)
        let compressed = try codec.compress(input) + codec.compress([]) + codec.compress(Array(input.prefix(999)))
        let oneShot = try codec.decompress(compressed, maxOutputBytes: 1 << 26)
        #expect(oneShot == input + input.prefix(999))
        #expect(try Self.feedAll(codec, compressed, chunkSizes: { 1 }) == oneShot)
    }

    @Test(arguments: CompressionCodec.framed)
    func goldenFramesOneByteAtATime(codec: CompressionCodec) throws {
        let golden = CompressionInteropTests.golden(codec)
        #expect(try Self.feedAll(codec, golden + golden, chunkSizes: { 1 }) == TestData.helloGolden + TestData.helloGolden)
    }

    @Test(arguments: CompressionCodec.framed)
    func randomChunkSizesOnALargeInput(codec: CompressionCodec) throws {
        let compressed = try codec.compress(TestData.large)
        var rng = SplitMix64(seed: 3)
        #expect(try Self.feedAll(codec, compressed, chunkSizes: { 1 + Int(rng.next() % 70_000) }) == TestData.large)
    }

    @Test(arguments: CompressionCodec.framed)
    func appendsAfterWhatTheCallerAlreadyHas(codec: CompressionCodec) throws {
        let decompressor = try StreamingDecompressor(codec: codec, maxOutputBytes: 5)
        var output: [UInt8] = Array(repeating: 0xEE, count: 1_000)
        try decompressor.feed(try codec.compress(Array("hello".utf8)), into: &output)
        try decompressor.finish()
        #expect(output == Array(repeating: 0xEE, count: 1_000) + Array("hello".utf8))
    }

    @Test(arguments: CompressionCodec.framed)
    func finishInsideAFrameIsTruncated(codec: CompressionCodec) throws {
        let compressed = try codec.compress(TestData.text(50_000))
        let decompressor = try StreamingDecompressor(codec: codec, maxOutputBytes: 1 << 20)
        var output: [UInt8] = []
        try decompressor.feed(Array(compressed.dropLast(3)), into: &output)
        let error = #expect(throws: CompressionError.self) { try decompressor.finish() }
        #expect(error?.kind == .truncatedInput)
        #expect(output.count <= 50_000)
    }

    @Test(arguments: CompressionCodec.framed)
    func finishWithoutInputIsTruncated(codec: CompressionCodec) throws {
        let decompressor = try StreamingDecompressor(codec: codec, maxOutputBytes: 1 << 20)
        var output: [UInt8] = []
        try decompressor.feed([], into: &output)
        let error = #expect(throws: CompressionError.self) { try decompressor.finish() }
        #expect(error?.kind == .truncatedInput)
    }

    @Test(arguments: CompressionCodec.framed)
    func limitCountsAcrossFeeds(codec: CompressionCodec) throws {
        let part = TestData.text(10_000)
        let frame = try codec.compress(part)
        let decompressor = try StreamingDecompressor(codec: codec, maxOutputBytes: 25_000)
        var output: [UInt8] = []
        try decompressor.feed(frame, into: &output)
        try decompressor.feed(frame, into: &output)
        let error = #expect(throws: CompressionError.self) { try decompressor.feed(frame, into: &output) }
        #expect(error?.kind == .outputLimitExceeded(limit: 25_000))
        #expect(output.count == 25_000)
        #expect(Array(output.prefix(20_000)) == part + part)
    }
}
