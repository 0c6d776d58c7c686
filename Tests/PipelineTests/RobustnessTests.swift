import Pipeline
import SluiceModel
import Testing

/// No input may crash a parser: the pipeline feeds them whatever producers send.
@Suite struct RobustnessTests {
    static let parsers: [any LogParser] = [
        AutoDetectParser(), JSONLogParser(), LogfmtParser(), Syslog5424Parser(), Syslog3164Parser(), AccessLogParser(),
    ]

    @Test func everyPrefixOfEverySample() {
        for (line, _) in Samples.all {
            let bytes = Array(line.utf8)
            for length in 0...bytes.count {
                let prefix = String(decoding: bytes[0..<length], as: UTF8.self)
                for parser in Self.parsers { _ = parser.parse(prefix, now: sampleNow) }
            }
        }
    }

    @Test func randomBytes() {
        var random = SplitMix(state: 0x5EED)
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...120, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let line = String(decoding: bytes, as: UTF8.self)
            for parser in Self.parsers { _ = parser.parse(line, now: sampleNow) }
        }
    }

    @Test func randomSyntaxCharacters() {
        // Bytes every format gives meaning to, so the fuzz reaches deep into the parsers.
        let alphabet = Array(#"{}[]":,\=<>0123456789 -./tnrufeaE+T Z"#.utf8) + [0x0A, 0xFE, 0xEF]
        var random = SplitMix(state: 42)
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...80, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            let line = String(decoding: bytes, as: UTF8.self)
            for parser in Self.parsers { _ = parser.parse(line, now: sampleNow) }
        }
    }

    @Test func mutatedSamples() {
        var random = SplitMix(state: 7)
        let samples = Samples.all.map { Array($0.0.utf8) }
        for _ in 0..<20_000 {
            var bytes = samples.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: index)
                default: bytes.insert(bytes[Int.random(in: 0..<bytes.count, using: &random)], at: index)
                }
            }
            let line = String(decoding: bytes, as: UTF8.self)
            for parser in Self.parsers { _ = parser.parse(line, now: sampleNow) }
        }
    }
}
