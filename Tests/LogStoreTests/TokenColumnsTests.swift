import Testing
import TestSupport
@testable import LogStore

@Suite struct TokenColumnsTests {
    func roundTrip(_ lines: [[UInt8]]) throws -> [UInt8] {
        var columns: [UInt8] = []
        TokenColumns.encode(lines.flatMap { $0 }, lengths: lines.map(\.count), into: &columns)
        var starts = [0]
        for line in lines { starts.append(starts.last! + line.count) }
        let decoded = try columns.withUnsafeBytes { raw in
            try starts.withUnsafeBufferPointer { try TokenColumns.decode(raw, lineStarts: $0, path: "test") }
        }
        #expect(decoded == lines.flatMap { $0 })
        return columns
    }

    @Test func realLinesRoundTripColumnByColumn() throws {
        let lines = [
            #"{"ts":"2026-11-21T13:45:12.345Z","level":"info","msg":"payment authorized","user_id":42}"#,
            #"10.1.2.3 - - [21/Nov/2026:13:45:12 +0000] "GET /api/orders HTTP/1.1" 200 5123 "-" "curl/8.5.0""#,
            "<30>Nov 21 13:45:12 web-07 sshd[4242]: session opened for user1 from 10.0.0.1 port 52311",
            "", ":::", "x", "java.lang.IllegalStateException: boom\n\tat com.example.Foo.bar(Foo.java:42)\n",
        ].map { Array($0.utf8) }
        let columns = try roundTrip(lines)
        // Six shapes: `{"`, `9.9.9.9`, `<9>a`, `:::`, `a`, `a.a.a` (the empty line has none
        // and is counted in group 0); then group 0's columns: its one line, token by token,
        // each column a plain one (mode 0).
        #expect(Array(columns.prefix(8)) == [6, 0, 1, 2, 0, 3, 4, 5])
        let groupZero = columns.dropFirst(8).split(separator: TokenColumns.terminator, omittingEmptySubsequences: false).prefix(4)
        #expect(groupZero.map { String(decoding: $0, as: UTF8.self) } == ["\0{\"", "\0ts", "\0\":\"", "\02026-11-21T13"])
    }

    @Test func linesOfOneShapeShareColumns() throws {
        let lines = ["10.0.0.1 GET", "192.168.1.20 POST", "", "10.9.9.9 PUT"].map { Array($0.utf8) }
        let columns = try roundTrip(lines)
        #expect(String(decoding: columns, as: UTF8.self) == "\u{1}\0" + "10.0.0.1\n192.168.1.20\n10.9.9.9\n\0 \n \n \n\0GET\nPOST\nPUT\n")
    }

    /// A long column with few distinct values is written as a dictionary and codes.
    @Test func fewDistinctValuesBecomeADictionary() throws {
        var random = SplitMix64(seed: 2)
        let methods = ["GET", "POST", "PUT"]
        let lines = (0..<40).map { _ in Array("\(methods.randomElement(using: &random)!) /x/\(UInt32.random(in: 0..<UInt32.max, using: &random))".utf8) }
        let columns = try roundTrip(lines)
        // One group; column 0 is the methods: mode 1, 3 values in order of appearance, 40 codes.
        #expect(Array(columns.prefix(3)) == [1, ColumnMode.dictionary.rawValue, 3])
        var seen: [String] = []
        for line in lines {
            let method = String(decoding: line.prefix { $0 != 0x20 }, as: UTF8.self)
            if !seen.contains(method) { seen.append(method) }
        }
        let dictionaryEnd = 3 + seen.reduce(0) { $0 + $1.utf8.count + 1 }
        #expect(String(decoding: columns[3..<dictionaryEnd], as: UTF8.self) == seen.map { $0 + "\n" }.joined())
        #expect(columns[dictionaryEnd..<(dictionaryEnd + 40)].map { seen[Int($0)] }
            == lines.map { String(decoding: $0.prefix { $0 != 0x20 }, as: UTF8.self) })
        // The numbers column (40 distinct values of 40) stays plain.
        #expect(columns.contains(ColumnMode.tokens.rawValue))
        var damaged = columns
        damaged[dictionaryEnd] = 7  // a code past the three values
        #expect(throws: LogStoreError.self) {
            try damaged.withUnsafeBytes { raw in
                var starts = [0]
                for line in lines { starts.append(starts.last! + line.count) }
                return try starts.withUnsafeBufferPointer { try TokenColumns.decode(raw, lineStarts: $0, path: "test") }
            }
        }
    }

    @Test func randomBytesWithTerminatorsAndEscapesRoundTrip() throws {
        var random = SplitMix64(seed: 21)
        let alphabet = Array(" \t\n,:\"=[]ab1".utf8) + [TokenColumns.terminator, TokenColumns.escape, 0, 0xFF]
        for _ in 0..<300 {
            let lines = (0..<Int.random(in: 0..<40, using: &random)).map { _ in
                (0..<Int.random(in: 0..<60, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            }
            _ = try roundTrip(lines)
        }
    }

    /// Damaged columns are refused with an error (never a crash or a wrong line count).
    @Test func damagedColumnsThrow() throws {
        let lines = ["alpha beta", "gamma=delta", "epsilon"].map { Array($0.utf8) }
        let columns = try roundTrip(lines)
        let starts = [0, 10, 21, 28]
        func decode(_ bytes: [UInt8]) throws -> [UInt8] {
            try bytes.withUnsafeBytes { raw in
                try starts.withUnsafeBufferPointer { try TokenColumns.decode(raw, lineStarts: $0, path: "test") }
            }
        }
        #expect(throws: LogStoreError.self) { try decode(Array(columns.dropLast())) }
        #expect(throws: LogStoreError.self) { try decode(columns + [1]) }
        #expect(throws: LogStoreError.self) { try decode([UInt8](repeating: 0x41, count: 40)) }
        #expect(throws: LogStoreError.self) { try decode(columns.map { $0 == TokenColumns.terminator ? 0x41 : $0 }) }
        var random = SplitMix64(seed: 4)
        for _ in 0..<2000 {
            var damaged = columns
            damaged[Int.random(in: 0..<damaged.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            if let decoded = try? decode(damaged) { #expect(decoded.count == 28) }
        }
    }
}
