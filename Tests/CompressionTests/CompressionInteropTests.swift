import Compression
import Testing

/// Bytes written by other implementations (the gzip, zstd and lz4 tools, snappy by hand) must decode.
@Suite struct CompressionInteropTests {
    // `printf … | gzip -n -9`: a gzip member from the reference tool.
    static let gzipGolden: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56,
        0xca, 0x49, 0x2d, 0x4b, 0xcd, 0x51, 0xb2, 0x52, 0xca, 0xcc, 0x4b, 0xcb,
        0x57, 0xd2, 0x51, 0xca, 0x2d, 0x4e, 0x07, 0x72, 0x32, 0x52, 0x73, 0x72,
        0xf2, 0x75, 0x14, 0xb2, 0x13, 0xd3, 0xb2, 0x13, 0x95, 0x6a, 0xb9, 0xaa,
        0x89, 0x52, 0x05, 0x00, 0x23, 0x94, 0x2e, 0x3f, 0x4c, 0x00, 0x00, 0x00,
    ]
    // `printf … | zstd`: from stdin, so the frame has no content size (FHD 0x04) but a checksum.
    static let zstdGolden: [UInt8] = [
        0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x75, 0x01, 0x00, 0x64, 0x02, 0x7b,
        0x22, 0x6c, 0x65, 0x76, 0x65, 0x6c, 0x22, 0x3a, 0x22, 0x69, 0x6e, 0x66,
        0x6f, 0x22, 0x2c, 0x22, 0x6d, 0x73, 0x67, 0x22, 0x3a, 0x22, 0x68, 0x65,
        0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x6b, 0x61, 0x66, 0x6b, 0x61, 0x22, 0x7d,
        0x0a, 0x01, 0x00, 0x9e, 0x1e, 0xf5, 0x04, 0x2a, 0xad, 0x02, 0x09,
    ]
    // `printf … | lz4`: an LZ4 frame with a content checksum and no content size.
    static let lz4Golden: [UInt8] = [
        0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7, 0x31, 0x00, 0x00, 0x00, 0xff,
        0x17, 0x7b, 0x22, 0x6c, 0x65, 0x76, 0x65, 0x6c, 0x22, 0x3a, 0x22, 0x69,
        0x6e, 0x66, 0x6f, 0x22, 0x2c, 0x22, 0x6d, 0x73, 0x67, 0x22, 0x3a, 0x22,
        0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x6b, 0x61, 0x66, 0x6b, 0x61,
        0x22, 0x7d, 0x0a, 0x26, 0x00, 0x0e, 0x50, 0x6b, 0x61, 0x22, 0x7d, 0x0a,
        0x00, 0x00, 0x00, 0x00, 0x06, 0x39, 0x41, 0x9c,
    ]

    static func golden(_ codec: CompressionCodec) -> [UInt8] {
        switch codec {
        case .gzip: gzipGolden
        case .zstd: zstdGolden
        case .lz4: lz4Golden
        case .snappy: []
        }
    }

    @Test(arguments: CompressionCodec.framed)
    func goldenFramesFromReferenceTools(codec: CompressionCodec) throws {
        let expected = TestData.helloGolden
        #expect(try codec.decompress(Self.golden(codec), maxOutputBytes: expected.count) == expected)
        let error = #expect(throws: CompressionError.self) {
            try codec.decompress(Self.golden(codec), maxOutputBytes: expected.count - 1)
        }
        #expect(error?.kind == .outputLimitExceeded(limit: expected.count - 1))
    }

    @Test func zstdGoldenReallyLacksContentSize() {
        // Frame header descriptor: FCS flag (bits 6-7) 0 and single-segment (bit 5) 0.
        #expect(Self.zstdGolden[4] & 0xE0 == 0)
    }

    @Test func gzipHeaderIsWhatKafkaExpects() throws {
        let compressed = try CompressionCodec.gzip.compress(TestData.helloGolden)
        #expect(Array(compressed.prefix(3)) == [0x1f, 0x8b, 0x08])  // gzip magic, deflate
    }

    @Test func lz4FrameUsesKafkaSettings() throws {
        let compressed = try CompressionCodec.lz4.compress(TestData.text(1_000))
        #expect(Array(compressed.prefix(4)) == [0x04, 0x22, 0x4d, 0x18])
        #expect(compressed[4] == 0x60)  // version 01, independent blocks, no checksums, no size
        #expect(compressed[5] == 0x40)  // 64 KiB blocks
    }

    @Test
    func systemGzipConcatenatedMembers() throws {
        let first = TestData.text(300_000), second = TestData.random(20_000)
        let members = try CommandLineTool.run("gzip -c", input: first) + CommandLineTool.run("gzip -1 -c", input: second)
        #expect(try CompressionCodec.gzip.decompress(members, maxOutputBytes: 320_000) == first + second)
    }

    @Test
    func systemGzipReadsOurOutput() throws {
        let input = TestData.text(300_000)
        let ours = try CompressionCodec.gzip.compress(input) + CompressionCodec.gzip.compress(input)
        #expect(try CommandLineTool.run("gzip -d -c", input: ours) == input + input)
    }

    @Test
    func systemZstdStreamedFramesWithoutContentSize() throws {
        let input = TestData.large
        let frame = try CommandLineTool.run("zstd -q -c", input: input)
        #expect(frame[4] & 0xE0 == 0, "expected a frame without a content size")
        #expect(try CompressionCodec.zstd.decompress(frame + frame, maxOutputBytes: 2 * input.count) == input + input)
        let error = #expect(throws: CompressionError.self) {
            try CompressionCodec.zstd.decompress(frame, maxOutputBytes: input.count - 1)
        }
        #expect(error?.kind == .outputLimitExceeded(limit: input.count - 1))
        #expect(try CommandLineTool.run("zstd -d -q -c", input: CompressionCodec.zstd.compress(input)) == input)
    }

    @Test
    func zstdWindowIsCappedNearTheLimit() throws {
        // --ultra -22 from stdin declares a 128 MiB window even for five bytes.
        let frame = try CommandLineTool.run("zstd --ultra -22 -q -c", input: Array("hello".utf8))
        let error = #expect(throws: CompressionError.self) {
            try CompressionCodec.zstd.decompress(frame, maxOutputBytes: 1 << 20)
        }
        #expect(error?.kind == .outputLimitExceeded(limit: 1 << 20))
        #expect(try CompressionCodec.zstd.decompress(frame, maxOutputBytes: 1 << 27) == Array("hello".utf8))
    }

    @Test
    func systemLZ4LinkedBlocksAndChecksums() throws {
        let input = TestData.large
        // The tool's defaults differ from ours: linked 4 MiB blocks and a content checksum.
        let frame = try CommandLineTool.run("lz4 -q -c -BD -B7", input: input)
        #expect(try CompressionCodec.lz4.decompress(frame + frame, maxOutputBytes: 2 * input.count) == input + input)
        #expect(try CommandLineTool.run("lz4 -d -q -c", input: CompressionCodec.lz4.compress(input)) == input)
    }
}
