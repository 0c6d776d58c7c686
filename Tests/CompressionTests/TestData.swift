import Compression
import Foundation
import Testing

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

/// A tiny seeded generator so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Runs the real command-line compressors, for interop with bytes we did not produce.
enum CommandLineTool {
    static func exists(_ name: String) -> Bool {
        ["/usr/bin", "/bin", "/usr/local/bin"].contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    /// Pipes `input` through `shellCommand` (reading stdin, so sizes are unknown to the tool).
    static func run(_ shellCommand: String, input: [UInt8]) throws -> [UInt8] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("compression-\(UUID().uuidString)")
        try Data(input).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "cat '\(file.path)' | \(shellCommand)"]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(shellCommand) failed")
        return [UInt8](data)
    }
}

extension CompressionCodec {
    /// The codecs that decode concatenated frames and stream (all but snappy).
    static let framed: [CompressionCodec] = [.gzip, .lz4, .zstd]
}
