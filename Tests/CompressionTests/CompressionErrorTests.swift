import Compression
import Testing

/// Bad input must come back as a `CompressionError` with a useful kind, never a crash.
@Suite struct CompressionErrorTests {
    @Test(arguments: CompressionCodec.allCases)
    func emptyInputIsTruncated(codec: CompressionCodec) {
        let error = #expect(throws: CompressionError.self) { try codec.decompress([], maxOutputBytes: 100) }
        #expect(error?.kind == .truncatedInput)
        #expect(error?.codec == codec)
    }

    @Test(arguments: CompressionCodec.allCases)
    func garbageIsCorrupt(codec: CompressionCodec) {
        let garbage = Array("this is certainly not compressed data, not even a little".utf8)
        let error = #expect(throws: CompressionError.self) { try codec.decompress(garbage, maxOutputBytes: 1 << 20) }
        #expect(error?.kind == .corruptInput)
        #expect(error?.description.hasPrefix("\(codec.rawValue): ") == true)
    }

    @Test(arguments: CompressionCodec.framed)
    func trailingGarbageAfterAValidFrameIsCorrupt(codec: CompressionCodec) throws {
        let valid = try codec.compress(TestData.text(1_000))
        let error = #expect(throws: CompressionError.self) {
            try codec.decompress(valid + Array("GARBAGE!GARBAGE!GARBAGE!".utf8), maxOutputBytes: 1 << 20)
        }
        #expect(error?.kind == .corruptInput)
    }

    @Test(arguments: CompressionCodec.framed)
    func truncatedFramesAreTruncated(codec: CompressionCodec) throws {
        let compressed = try codec.compress(TestData.text(100_000))
        for length in [1, 5, compressed.count / 2, compressed.count - 1] {
            let error = #expect(throws: CompressionError.self, "cut to \(length) bytes") {
                try codec.decompress(Array(compressed.prefix(length)), maxOutputBytes: 1 << 20)
            }
            #expect(error?.kind == .truncatedInput, "cut to \(length) of \(compressed.count) bytes: \(String(describing: error))")
        }
    }

    @Test func truncatedRawSnappyFails() throws {
        let compressed = try CompressionCodec.snappy.compress(TestData.text(100_000))
        for length in [1, compressed.count / 2, compressed.count - 1] {
            #expect(throws: CompressionError.self, "cut to \(length) bytes") {
                try CompressionCodec.snappy.decompress(Array(compressed.prefix(length)), maxOutputBytes: 1 << 20)
            }
        }
    }

    @Test func gzipChecksumMismatchIsCorrupt() throws {
        var compressed = try CompressionCodec.gzip.compress(TestData.text(10_000))
        compressed[compressed.count - 8] ^= 0xFF  // first byte of the CRC-32 trailer
        let error = #expect(throws: CompressionError.self) {
            try CompressionCodec.gzip.decompress(compressed, maxOutputBytes: 1 << 20)
        }
        #expect(error?.kind == .corruptInput)
        #expect(error?.message.contains("Z_DATA_ERROR") == true)
    }

    @Test func lz4HeaderChecksumMismatchIsCorrupt() throws {
        var compressed = try CompressionCodec.lz4.compress(TestData.text(10_000))
        compressed[6] ^= 0xFF  // the header checksum byte
        let error = #expect(throws: CompressionError.self) {
            try CompressionCodec.lz4.decompress(compressed, maxOutputBytes: 1 << 20)
        }
        #expect(error?.kind == .corruptInput)
    }

    @Test func zstdChecksumMismatchIsCorrupt() throws {
        var golden = CompressionInteropTests.zstdGolden
        golden[golden.count - 1] ^= 0xFF  // the frame's content checksum
        let error = #expect(throws: CompressionError.self) {
            try CompressionCodec.zstd.decompress(golden, maxOutputBytes: 1 << 20)
        }
        #expect(error?.kind == .corruptInput)
    }

    /// Random damage may decode to wrong bytes (zstd and lz4 here carry no checksum), but it
    /// must only ever end in output or a `CompressionError`.
    @Test(arguments: CompressionCodec.allCases)
    func randomDamageNeverCrashes(codec: CompressionCodec) throws {
        let compressed = try codec.compress(TestData.text(20_000) + TestData.random(2_000))
        var rng = SplitMix64(seed: 99)
        var failures = 0
        for _ in 0..<300 {
            var damaged = compressed
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                damaged[Int(rng.next() % UInt64(damaged.count))] ^= UInt8(1 + rng.next() % 255)
            }
            do {
                let output = try codec.decompress(damaged, maxOutputBytes: 30_000)
                #expect(output.count <= 30_000)
            } catch {
                #expect(error is CompressionError)
                failures += 1
            }
        }
        #expect(failures > 0, "no damaged input was rejected at all")
    }
}
