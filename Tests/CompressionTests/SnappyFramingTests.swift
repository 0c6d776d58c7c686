import Compression
import Testing

/// Snappy comes raw from librdkafka and xerial-framed from the Java client and kafka-python.
@Suite struct SnappyFramingTests {
    static let magic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]

    /// Builds a xerial stream by hand: magic, version 1, compatible version 1, then blocks.
    static func xerial(_ rawBlocks: [[UInt8]]) -> [UInt8] {
        var out = magic + bigEndian(1) + bigEndian(1)
        for block in rawBlocks { out += bigEndian(UInt32(block.count)) + block }
        return out
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// Raw snappy written by hand: varint length 5, then one literal (tag (5-1)<<2).
    static let helloRaw: [UInt8] = [0x05, 0x10, 0x68, 0x65, 0x6C, 0x6C, 0x6F]

    @Test func handWrittenRawSnappy() throws {
        #expect(try CompressionCodec.snappy.decompress(Self.helloRaw, maxOutputBytes: 5) == Array("hello".utf8))
    }

    @Test func compressWritesRawSnappyNotXerial() throws {
        let compressed = try CompressionCodec.snappy.compress(Array("hello".utf8))
        #expect(compressed.first == 5)  // starts with the varint length, as librdkafka's does
        #expect(!compressed.starts(with: Self.magic))
    }

    @Test func xerialFramedBlocks() throws {
        // Java's SnappyOutputStream cuts input into 32 KiB blocks.
        let input = TestData.text(100_000) + TestData.random(40_000)
        var blocks: [[UInt8]] = []
        var offset = 0
        while offset < input.count {
            let end = min(offset + 32_768, input.count)
            blocks.append(try CompressionCodec.snappy.compress(Array(input[offset..<end])))
            offset = end
        }
        let framed = Self.xerial(blocks)
        #expect(try CompressionCodec.snappy.decompress(framed, maxOutputBytes: input.count) == input)
        // Blocks are checked one by one against what is left of the limit.
        let error = #expect(throws: CompressionError.self) {
            try CompressionCodec.snappy.decompress(framed, maxOutputBytes: input.count - 1)
        }
        #expect(error?.kind == .outputLimitExceeded(limit: input.count - 1))
    }

    @Test func xerialWithHandWrittenBlockAndEmptyStream() throws {
        #expect(try CompressionCodec.snappy.decompress(Self.xerial([Self.helloRaw, Self.helloRaw]), maxOutputBytes: 10)
            == Array("hellohello".utf8))
        #expect(try CompressionCodec.snappy.decompress(Self.xerial([]), maxOutputBytes: 0) == [])
    }

    @Test func concatenatedXerialStreams() throws {
        let a = TestData.text(50_000), b = TestData.text(7_000)
        let joined = Self.xerial([try CompressionCodec.snappy.compress(a)])
            + Self.xerial([try CompressionCodec.snappy.compress(b)])
        #expect(try CompressionCodec.snappy.decompress(joined, maxOutputBytes: a.count + b.count) == a + b)
    }

    @Test(arguments: [8, 15, 16 + 3, 16 + 4 + 3])
    func truncatedXerial(length: Int) throws {
        let framed = Self.xerial([Self.helloRaw])
        let error = #expect(throws: CompressionError.self) {
            try CompressionCodec.snappy.decompress(Array(framed.prefix(length)), maxOutputBytes: 100)
        }
        #expect(error?.kind == .truncatedInput)
    }

    @Test func xerialBlockClaimingAGibibyteIsRefusedBeforeAllocating() throws {
        // Varint 2^30 followed by a few copy ops: the declared length alone must stop it.
        let bomb: [UInt8] = [0x80, 0x80, 0x80, 0x80, 0x04, 0x00, 0x00, 0x01, 0xFE, 0x00, 0x00]
        let before = TestData.peakRSS()
        for input in [bomb, Self.xerial([bomb])] {
            let error = #expect(throws: CompressionError.self) {
                try CompressionCodec.snappy.decompress(input, maxOutputBytes: 64 << 20)
            }
            #expect(error?.kind == .outputLimitExceeded(limit: 64 << 20))
        }
        #expect(TestData.peakRSS() - before < 256 << 20)
    }

    @Test func streamingSnappyIsUnsupported() {
        let error = #expect(throws: CompressionError.self) {
            _ = try StreamingDecompressor(codec: .snappy, maxOutputBytes: 10)
        }
        #expect(error?.kind == .unsupported)
    }
}
