import Compression
import Foundation
@_exported import TestSupport

/// Deterministic inputs and helpers shared by the compression tests.
enum TestData {
    /// Log-like text that compresses well but is not a trivial repetition.
    static func text(_ count: Int) -> [UInt8] {
        var rng = SplitMix64(seed: 42)
        let words = ["level", "info", "warn", "error", "kafka", "topic", "partition", "offset",
                     "consumer", "group", "lag", "bytes", "request", "latency_ms", "host", "pod"]
        var out: [UInt8] = []
        out.reserveCapacity(count + 64)
        while out.count < count {
            let line = "{\"ts\":\(1_700_000_000 + out.count),\"\(words[Int(rng.next() % 16)])\":\"\(words[Int(rng.next() % 16)])\",\"n\":\(rng.next() % 1000)}\n"
            out.append(contentsOf: line.utf8)
        }
        return Array(out.prefix(count))
    }

    /// Bytes no codec can shrink.
    static func random(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        var out = [UInt8](repeating: 0, count: count)
        for i in out.indices { out[i] = UInt8(truncatingIfNeeded: rng.next()) }
        return out
    }

    /// A 5 MiB mix of text and random stretches, so blocks of both kinds appear.
    static let large: [UInt8] = {
        var out: [UInt8] = []
        for i in 0..<10 {
            out += i % 3 == 2 ? random(512 << 10, seed: UInt64(i)) : text(512 << 10)
        }
        return out
    }()

    static let helloGolden = Array("{\"level\":\"info\",\"msg\":\"hello, kafka\"}\n{\"level\":\"info\",\"msg\":\"hello, kafka\"}\n".utf8)

    /// Peak resident set size of this process, in bytes.
    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024  // kilobytes on Linux
    }
}

extension CompressionCodec {
    /// The codecs that decode concatenated frames and stream (all but snappy).
    static let framed: [CompressionCodec] = [.gzip, .lz4, .zstd]
}
