import TestSupport
import Testing
@testable import KafkaWire

@Suite struct CRC32CTests {
    /// Vectors from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
    static let vectors: [([UInt8], UInt32)] = [
        (Array("123456789".utf8), 0xE306_9283),
        ([UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ((0..<32).map { UInt8($0) }, 0x46DD_794E),
        ((0..<32).reversed().map { UInt8($0) }, 0x113F_DB5C),
        ([], 0),
    ]

    @Test(arguments: vectors)
    func knownVectors(input: [UInt8], expected: UInt32) {
        #expect(CRC32C.checksum(input) == expected)
        input.withUnsafeBytes { #expect(CRC32C.portableChecksum($0) == expected) }
    }

    /// The interleaved hardware path must agree with the table at every length and
    /// alignment around its stripe boundaries (256 and 8192 bytes per stripe, three stripes).
    @Test func hardwareMatchesPortable() {
        var generator = SplitMix64(seed: 7)
        let data = (0..<(3 * 8192 * 2 + 999)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let lengths = [0, 1, 7, 8, 9, 255, 767, 768, 769, 3 * 256 + 5, 3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 3 * 8192 + 777, data.count - 8]
        data.withUnsafeBytes { all in
            for start in 0..<8 {
                for length in lengths where start + length <= all.count {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<start + length])
                    #expect(CRC32C.checksum(slice) == CRC32C.portableChecksum(slice), "start \(start) length \(length)")
                }
            }
        }
    }

    @Test func chainingEqualsOneShot() {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        data.withUnsafeBytes { all in
            let whole = CRC32C.checksum(all)
            for cut in [0, 1, 100, 24_576, 50_001, 99_999] {
                let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[..<cut]))
                #expect(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[cut...]), seed: first) == whole)
            }
        }
    }
}
