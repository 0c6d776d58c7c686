import Testing
import SluiceModel
import TestSupport
@testable import LogStore

@Suite struct TokenBloomFilterTests {
    @Test func interiorTokensAreOnlyThoseBoundedInsideTheNeedle() {
        #expect(TokenHasher.interiorTokens(of: Array("abc".utf8)).isEmpty)
        #expect(TokenHasher.interiorTokens(of: Array("abc def".utf8)).isEmpty)
        #expect(TokenHasher.interiorTokens(of: Array(" abc ".utf8)) == [TokenHasher.hash(Array("abc".utf8))])
        #expect(TokenHasher.interiorTokens(of: Array("x=abc,y=d e".utf8))
            == ["abc", "y", "d"].map { TokenHasher.hash(Array($0.utf8)) })
        // Numbers of up to five digits are not indexed, on either side.
        #expect(TokenHasher.interiorTokens(of: Array(" 404 12345 123456 a1 ".utf8))
            == ["123456", "a1"].map { TokenHasher.hash(Array($0.utf8)) })
        var tokens = TokenHashSet()
        Array("GET /x 200 5123 took 1234567 ms user42".utf8).withUnsafeBytes { TokenHasher.addTokens(of: $0, to: &tokens) }
        var indexed: [UInt64] = []
        tokens.forEach { indexed.append($0) }
        #expect(Set(indexed) == Set(["GET", "x", "took", "1234567", "ms", "user42"].map { TokenHasher.hash(Array($0.utf8)) }))
    }

    /// Property: any line containing a needle passes the filter of a block holding that line.
    @Test func noFalseNegatives() {
        var generator = EntryGenerator(seed: 7)
        var misses = 0
        for _ in 0..<300 {
            var tokens = TokenHashSet()
            var lines: [[UInt8]] = []
            for _ in 0..<generator.int(1..<20) {
                let line = generator.line()
                lines.append(line)
                line.withUnsafeBytes { TokenHasher.addTokens(of: $0, to: &tokens) }
            }
            let filter = TokenBloomFilter(tokens: tokens)
            for _ in 0..<20 {
                let line = lines[generator.int(0..<lines.count)]
                guard !line.isEmpty else { continue }
                let start = generator.int(0..<line.count)
                let needle = Array(line[start..<generator.int((start + 1)..<(line.count + 1))])
                if !TokenHasher.interiorTokens(of: needle).allSatisfy(filter.mayContain) { misses += 1 }
            }
        }
        #expect(misses == 0)
    }

    @Test func falsePositiveRateIsLow() {
        var tokens = TokenHashSet()
        for number in 0..<5000 { tokens.insert(TokenHasher.hash(Array("token\(number)".utf8))) }
        #expect(tokens.count == 5000)
        let filter = TokenBloomFilter(tokens: tokens)
        let positives = (0..<10000).filter { filter.mayContain(TokenHasher.hash(Array("other\($0)".utf8))) }.count
        #expect(positives < 320)  // ~2.2% expected
    }
}
