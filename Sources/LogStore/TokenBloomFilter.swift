/// A Bloom filter of the tokens in one block's lines and metadata values, so that a line
/// filter (`|= "abc"`) skips blocks that cannot hold its tokens.
///
/// A token is a maximal run of bytes in `[A-Za-z0-9_]` or `>= 0x80` (so UTF-8 words stay
/// whole), case-sensitive. Numbers of up to five digits (durations, sizes, ports, status
/// codes, IPv4 octets) are left out on both sides: they are most of a block's distinct
/// tokens and rarely a selective search, so indexing them would double the filters'
/// size for little skipping. Each distinct token is hashed once (`TokenHasher`); bits come from
/// double hashing of the hash's two mixed halves, 8 bits per token and 6 probes (~2% false
/// positives). Serialized in a part's index as word count, probe count, then the words.
///
/// Thread-safety: a value type, immutable once built.
struct TokenBloomFilter: Sendable, Equatable {
    static let bitsPerToken = 8
    static let defaultProbes = 6

    private(set) var words: [UInt64]
    private(set) var probes: Int

    init(words: [UInt64], probes: Int) {
        self.words = words
        self.probes = probes
    }

    /// A filter holding every hash in `tokens`.
    init(tokens: TokenHashSet) {
        let bits = max(64, tokens.count * Self.bitsPerToken)
        words = [UInt64](repeating: 0, count: (bits + 63) / 64)
        probes = Self.defaultProbes
        let bitCount = UInt64(words.count * 64)
        words.withUnsafeMutableBufferPointer { words in
            tokens.forEach { hash in
                var (h1, h2) = Self.halves(hash)
                for _ in 0..<Self.defaultProbes {
                    let bit = h1.multipliedFullWidth(by: bitCount).high
                    words[Int(bit >> 6)] |= 1 << (bit & 63)
                    h1 &+= h2
                }
            }
        }
    }

    /// False only when the token is certainly absent.
    func mayContain(_ hash: UInt64) -> Bool {
        if words.isEmpty { return true }
        let bitCount = UInt64(words.count * 64)
        var (h1, h2) = Self.halves(hash)
        for _ in 0..<probes {
            let bit = h1.multipliedFullWidth(by: bitCount).high
            if words[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return false }
            h1 &+= h2
        }
        return true
    }

    @inline(__always)
    private static func halves(_ hash: UInt64) -> (UInt64, UInt64) {
        let key = hash == 0 ? 1 : hash  // as TokenHashSet stores it
        return (TokenHasher.mix(key), TokenHasher.mix(key ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }
}

/// Splits bytes into tokens and hashes them (FNV-1a, then a 64-bit finalizer).
enum TokenHasher {
    /// Whether a byte belongs to a token.
    static let tokenBytes: [Bool] = (0...255).map { byte in
        byte >= 0x80 || byte == 0x5F || (0x30...0x39).contains(byte)
            || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
        return z ^ (z >> 33)
    }

    static let fnvOffset: UInt64 = 0xCBF2_9CE4_8422_2325
    static let fnvPrime: UInt64 = 0x0000_0100_0000_01B3

    static func hash(_ token: some Sequence<UInt8>) -> UInt64 {
        var hash = fnvOffset
        for byte in token { hash = (hash ^ UInt64(byte)) &* fnvPrime }
        return mix(hash)
    }

    /// Numbers this long or shorter are not indexed (see `TokenBloomFilter`).
    static let longestUnindexedNumber = 5

    @inline(__always)
    static func isIndexed(length: Int, digits: Int) -> Bool {
        digits != length || length > longestUnindexedNumber
    }

    /// Adds the hash of every indexed token in `bytes` to `set`.
    static func addTokens(of bytes: UnsafeRawBufferPointer, to set: inout TokenHashSet) {
        tokenBytes.withUnsafeBufferPointer { table in
            var hash = fnvOffset
            var length = 0
            var digits = 0
            for byte in bytes {
                if table[Int(byte)] {
                    hash = (hash ^ UInt64(byte)) &* fnvPrime
                    length += 1
                    if byte &- 0x30 < 10 { digits += 1 }
                } else if length > 0 {
                    if isIndexed(length: length, digits: digits) { set.insert(mix(hash)) }
                    hash = fnvOffset
                    length = 0
                    digits = 0
                }
            }
            if length > 0, isIndexed(length: length, digits: digits) { set.insert(mix(hash)) }
        }
    }

    /// The hashes of the tokens of `needle` that any line containing it must hold as whole
    /// tokens: runs bounded by a non-token byte on both sides inside the needle. A run touching
    /// either end may continue in the line, so it proves nothing; short numbers are not indexed.
    static func interiorTokens(of needle: [UInt8]) -> [UInt64] {
        var hashes: [UInt64] = []
        var runStart: Int? = nil
        var sawBoundary = false
        for (index, byte) in needle.enumerated() {
            if tokenBytes[Int(byte)] {
                if runStart == nil { runStart = index }
            } else {
                if let start = runStart, sawBoundary {
                    let run = needle[start..<index]
                    if isIndexed(length: run.count, digits: run.count { $0 &- 0x30 < 10 }) { hashes.append(hash(run)) }
                }
                runStart = nil
                sawBoundary = true
            }
        }
        return hashes
    }
}

/// A set of non-zero 64-bit hashes with open addressing: counting distinct tokens per block
/// this way costs no allocation per token, unlike `Set<UInt64>`.
struct TokenHashSet {
    private var slots: [UInt64]
    private(set) var count = 0

    init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
    }

    @inline(__always)
    mutating func insert(_ hash: UInt64) {
        let key = hash == 0 ? 1 : hash
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: key) & mask
        while true {
            let slot = slots[index]
            if slot == key { return }
            if slot == 0 {
                slots[index] = key
                count += 1
                return
            }
            index = (index + 1) & mask
        }
    }

    func forEach(_ body: (UInt64) -> Void) {
        for slot in slots where slot != 0 { body(slot) }
    }

    mutating func removeAll() {
        if count == 0 { return }
        for index in slots.indices { slots[index] = 0 }
        count = 0
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        count = 0
        for slot in old where slot != 0 { insert(slot) }
    }
}
