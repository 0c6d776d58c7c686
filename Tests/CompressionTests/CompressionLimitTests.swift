import Compression
import Testing

/// The output limit is the defence against decompression bombs: exact at the boundary, fast,
/// and without allocating past it.
@Suite struct CompressionLimitTests {
    @Test(arguments: CompressionCodec.allCases)
    func exactLimitSucceedsAndOneByteLessThrows(codec: CompressionCodec) throws {
        for input in [TestData.text(100_003), [UInt8](repeating: 0, count: 300_000), [0x01]] {
            let compressed = try codec.compress(input)
            #expect(try codec.decompress(compressed, maxOutputBytes: input.count) == input)
            let error = #expect(throws: CompressionError.self) {
                try codec.decompress(compressed, maxOutputBytes: input.count - 1)
            }
            #expect(error?.kind == .outputLimitExceeded(limit: input.count - 1))
        }
    }

    @Test(arguments: CompressionCodec.allCases)
    func zeroLimitAcceptsOnlyEmptyContent(codec: CompressionCodec) throws {
        #expect(try codec.decompress(codec.compress([]), maxOutputBytes: 0) == [])
        let error = #expect(throws: CompressionError.self) {
            try codec.decompress(codec.compress([7]), maxOutputBytes: 0)
        }
        #expect(error?.kind == .outputLimitExceeded(limit: 0))
    }

    @Test(arguments: CompressionCodec.framed)
    func limitCoversAllConcatenatedFrames(codec: CompressionCodec) throws {
        let part = TestData.text(40_000)
        let joined = try codec.compress(part) + codec.compress(part) + codec.compress(part)
        #expect(try codec.decompress(joined, maxOutputBytes: 120_000).count == 120_000)
        let error = #expect(throws: CompressionError.self) { try codec.decompress(joined, maxOutputBytes: 119_999) }
        #expect(error?.kind == .outputLimitExceeded(limit: 119_999))
    }

    /// 1 GiB of zeros as 64 concatenated 16 MiB frames (xerial blocks for snappy): a few KB to a
    /// few MB of input, stopped at 64 MiB.
    static func gibibyteBomb(_ codec: CompressionCodec) throws -> [UInt8] {
        let zeros = [UInt8](repeating: 0, count: 16 << 20)
        let frame = try codec.compress(zeros, level: codec == .lz4 ? 9 : nil)
        if codec == .snappy {
            return SnappyFramingTests.xerial(Array(repeating: frame, count: 64))
        }
        return Array([[UInt8]](repeating: frame, count: 64).joined())
    }

    @Test(.serialized, arguments: CompressionCodec.allCases)
    func gibibyteBombStopsAtTheLimit(codec: CompressionCodec) throws {
        let limit = 64 << 20
        let bomb = try Self.gibibyteBomb(codec)
        let peakBefore = TestData.peakRSS()
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            let error = #expect(throws: CompressionError.self) { try codec.decompress(bomb, maxOutputBytes: limit) }
            #expect(error?.kind == .outputLimitExceeded(limit: limit))
        }
        #expect(elapsed < .seconds(10), "took \(elapsed)")
        // Decoding the whole gibibyte would raise the peak by about 1 GiB.
        #expect(TestData.peakRSS() - peakBefore < 512 << 20)
    }

    @Test(arguments: CompressionCodec.framed)
    func streamingBombKeepsTheOutputAtTheLimit(codec: CompressionCodec) throws {
        let limit = 64 << 20
        let bomb = try Self.gibibyteBomb(codec)
        let decompressor = try StreamingDecompressor(codec: codec, maxOutputBytes: limit)
        var output: [UInt8] = []
        let error = #expect(throws: CompressionError.self) {
            var offset = 0
            while offset < bomb.count {
                let end = min(offset + 65_536, bomb.count)
                try bomb[offset..<end].withUnsafeBytes { try decompressor.feed($0, into: &output) }
                offset = end
            }
        }
        #expect(error?.kind == .outputLimitExceeded(limit: limit))
        #expect(output.count == limit)
        #expect(output.capacity <= limit + (1 << 20), "capacity \(output.capacity)")
        #expect(stride(from: 0, to: limit, by: 4093).allSatisfy { output[$0] == 0 })
        // A failed decompressor keeps failing rather than resuming mid-stream.
        #expect(throws: CompressionError.self) { try decompressor.feed([0], into: &output) }
        #expect(throws: CompressionError.self) { try decompressor.finish() }
    }
}
