import Compression
import Testing

/// Every codec must give back exactly what it was given, at exactly the output limit.
@Suite struct CompressionRoundTripTests {
    enum Sample: String, CaseIterable, CustomTestStringConvertible {
        case empty, oneByte, text, random, large
        var bytes: [UInt8] {
            switch self {
            case .empty: []
            case .oneByte: [0xA5]
            case .text: TestData.text(100_003)
            case .random: TestData.random(65_537)
            case .large: TestData.large
            }
        }
        var testDescription: String { rawValue }
    }

    @Test(arguments: CompressionCodec.allCases, Sample.allCases)
    func roundTrip(codec: CompressionCodec, sample: Sample) throws {
        let input = sample.bytes
        let compressed = try codec.compress(input)
        #expect(!compressed.isEmpty)
        let output = try codec.decompress(compressed, maxOutputBytes: input.count)
        #expect(output.count == input.count)
        #expect(output == input)
    }

    @Test(arguments: CompressionCodec.allCases)
    func textActuallyShrinks(codec: CompressionCodec) throws {
        let input = TestData.text(100_003)
        let compressed = try codec.compress(input)
        #expect(compressed.count < input.count / 2, "\(codec) wrote \(compressed.count) bytes")
    }

    @Test(arguments: [(CompressionCodec.gzip, [1, 9]), (.zstd, [1, 19, -5]), (.lz4, [0, 9, 12, -3])])
    func levels(codec: CompressionCodec, levels: [Int]) throws {
        let input = TestData.text(200_000)
        for level in levels {
            let compressed = try codec.compress(input, level: level)
            #expect(try codec.decompress(compressed, maxOutputBytes: input.count) == input, "level \(level)")
        }
    }

    @Test(arguments: CompressionCodec.allCases)
    func outOfRangeLevelsAreClamped(codec: CompressionCodec) throws {
        let input = TestData.text(10_000)
        for level in [Int.min, -1_000_000, 1_000, Int.max] {
            let compressed = try codec.compress(input, level: level)
            #expect(try codec.decompress(compressed, maxOutputBytes: input.count) == input, "level \(level)")
        }
    }

    @Test func pointerOverloadsMatchArrayOverloads() throws {
        let input = TestData.text(5_000)
        for codec in CompressionCodec.allCases {
            let viaPointer = try input.withUnsafeBytes { try codec.compress($0) }
            #expect(viaPointer == (try codec.compress(input)))
            let back = try viaPointer.withUnsafeBytes { try codec.decompress($0, maxOutputBytes: 5_000) }
            #expect(back == input)
        }
    }

    @Test(arguments: CompressionCodec.framed)
    func concatenatedFramesDecodeBackToBack(codec: CompressionCodec) throws {
        let parts = [TestData.text(70_000), [], TestData.random(3_000), [0x42], TestData.text(200_000)]
        var joined: [UInt8] = []
        for part in parts { joined += try codec.compress(part) }
        let expected = parts.flatMap { $0 }
        #expect(try codec.decompress(joined, maxOutputBytes: expected.count) == expected)
    }
}
