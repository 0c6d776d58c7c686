import TestSupport
import Testing
@testable import LogQL

/// Random and mutated input never traps the parser; it parses or throws LogQLError.
@Suite struct LogQLFuzzTests {
    static let seeds = [
        #"sum by (level) (count_over_time({host=~".+", app!="x"} |= "err" | json | status >= 500 and d > 10ms [5m]))"#,
        #"topk(3, rate({a="b"} | logfmt | size > 1KB or level=~"e.*" | line_format "{{.a}} {{ __line__ }}" [1m]))"#,
        #"{a="b"} |~ "(?i)x" | regexp "(?P<m>\\w+)" | x == -1.5e3, y != 2 | (z < 3 or w >= 4)"#,
        "bottomk by (x) (2, bytes_rate({a=`b`}[1h30m])) # comment\n",
    ]
    static let alphabet = Array(#"{}()[],|=!~<>+-"`'\ #.0123456789abcdefxyz_hmsµKMiB"#.unicodeScalars) + ["\n", "\t", "\u{0}", "é"]

    @Test func randomAndMutatedQueriesNeverTrap() {
        var random = SplitMix64(seed: 0xF022)
        for round in 0..<6000 {
            var scalars: [Unicode.Scalar]
            if round % 3 == 0 {
                scalars = (0..<Int.random(in: 0..<40, using: &random)).map { _ in Self.alphabet.randomElement(using: &random)! }
            } else {
                scalars = Array(Self.seeds.randomElement(using: &random)!.unicodeScalars)
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let position = Int.random(in: 0...scalars.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0 where position < scalars.count: scalars.remove(at: position)
                    case 1: scalars.insert(Self.alphabet.randomElement(using: &random)!, at: position)
                    default:
                        let cut = Int.random(in: 0...scalars.count, using: &random)
                        scalars = Array(scalars[..<min(cut, scalars.count)])
                    }
                }
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            do {
                let parsed = try LogQLParser.parse(text)
                // What parses prints back to something that parses the same way.
                let printed = parsed.description
                #expect((try? LogQLParser.parse(printed).description) == printed, "\(text) → \(printed)")
            } catch {
                #expect(error.position.line >= 1 && error.position.column >= 1)
            }
            _ = try? LogQLParser.parseSelector(text)
        }
    }

    @Test func randomBytesNeverTrap() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0..<30, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try? LogQLParser.parse(String(decoding: bytes, as: UTF8.self))
        }
    }
}
