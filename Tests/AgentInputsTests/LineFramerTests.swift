import AgentInputs
import Testing

@Suite struct LineFramerTests {
    private func frame(_ chunks: [String], max: Int = 1000, flush: Bool = false) -> [FramedLine] {
        var framer = LineFramer(maxLineBytes: max, startOffset: 0)
        var lines: [FramedLine] = []
        for chunk in chunks {
            Array(chunk.utf8).withUnsafeBytes { framer.feed($0) { lines.append($0) } }
        }
        if flush { framer.flush { lines.append($0) } }
        return lines
    }

    private func texts(_ lines: [FramedLine]) -> [String] { lines.map { String(decoding: $0.bytes, as: UTF8.self) } }

    @Test func linesWithOffsetsAcrossChunks() {
        let lines = frame(["one\ntw", "o\r\nthr", "ee\n", "tail"])
        #expect(texts(lines) == ["one", "two", "three"])
        #expect(lines.map(\.startOffset) == [0, 4, 9])
        #expect(lines.map(\.endOffset) == [4, 9, 15])
        #expect(lines.allSatisfy { $0.part == nil })
    }

    @Test func flushEmitsTheUnterminatedTail() {
        let lines = frame(["a\nlast"], flush: true)
        #expect(texts(lines) == ["a", "last"])
        #expect(lines.last?.endOffset == 6)
    }

    @Test func everyByteSplitGivesTheSameLines() {
        let text = "alpha\nbeta\r\n\ngamma delta\nε-unicode ✓\n"
        let whole = frame([text])
        for split in 0...text.utf8.count {
            let bytes = Array(text.utf8)
            let chunks = [String(decoding: bytes[..<split], as: UTF8.self), String(decoding: bytes[split...], as: UTF8.self)]
            // Splitting inside a multi-byte character would change the bytes via String; feed raw bytes instead.
            var framer = LineFramer(maxLineBytes: 1000, startOffset: 0)
            var lines: [FramedLine] = []
            bytes[..<split].withUnsafeBytes { framer.feed($0) { lines.append($0) } }
            bytes[split...].withUnsafeBytes { framer.feed($0) { lines.append($0) } }
            _ = chunks
            #expect(lines == whole, "split at \(split)")
        }
    }

    @Test func longLinesAreCutIntoMarkedPartsNotDropped() {
        let long = String(repeating: "x", count: 25)
        let lines = frame([long + "\nshort\n"], max: 10)
        #expect(texts(lines) == ["xxxxxxxxxx", "xxxxxxxxxx", "xxxxx", "short"])
        #expect(lines.map(\.part) == [FramedLine.Part(number: 1, isLast: false), FramedLine.Part(number: 2, isLast: false),
                                      FramedLine.Part(number: 3, isLast: true), nil])
        #expect(lines.map(\.endOffset) == [10, 20, 26, 32])
    }

    @Test func cutsAtCharacterBoundaries() {
        // 4 three-byte characters; a cut at 10 bytes would split the fourth.
        let lines = frame(["€€€€\n"], max: 10)
        #expect(texts(lines) == ["€€€", "€"])
        #expect(lines[0].bytes.count == 9)
    }

    @Test func invalidUTF8IsPassedThrough() {
        var framer = LineFramer(maxLineBytes: 100, startOffset: 0)
        var lines: [FramedLine] = []
        ([0x61, 0xFF, 0xFE, 0x0A] as [UInt8]).withUnsafeBytes { framer.feed($0) { lines.append($0) } }
        #expect(lines.first?.bytes == [0x61, 0xFF, 0xFE])
    }

    @Test func resetRestartsAtAnOffset() {
        var framer = LineFramer(maxLineBytes: 100, startOffset: 50)
        var lines: [FramedLine] = []
        Array("partial".utf8).withUnsafeBytes { framer.feed($0) { lines.append($0) } }
        framer.reset(to: 0)
        Array("new\n".utf8).withUnsafeBytes { framer.feed($0) { lines.append($0) } }
        #expect(lines.map(\.startOffset) == [0])
        #expect(framer.emittedThrough == 4)
    }
}

@Suite struct MultilineJoinerTests {
    private func joiner(maxBytes: Int = 10_000) throws -> MultilineJoiner {
        MultilineJoiner(startPattern: try Regex(#"^\d{4}-"#), maxBytes: maxBytes, flushTimeoutNanoseconds: 1_000)
    }

    private func lines(_ texts: [String]) -> [FramedLine] {
        var offset: Int64 = 0
        return texts.map { text in
            let line = FramedLine(bytes: Array(text.utf8), startOffset: offset, endOffset: offset + Int64(text.utf8.count) + 1, part: nil)
            offset = line.endOffset
            return line
        }
    }

    @Test func javaStackTraceBecomesOneEvent() throws {
        var joiner = try joiner()
        var events: [FramedLine] = []
        let input = lines([
            "2026-11-22 06:00:00 ERROR request failed",
            "java.lang.IllegalStateException: boom",
            "\tat com.example.A.run(A.java:10)",
            "\tat com.example.B.call(B.java:20)",
            "Caused by: java.io.IOException: closed",
            "\t... 3 more",
            "2026-11-22 06:00:01 INFO next",
        ])
        for line in input { joiner.add(line, now: 0) { events.append($0) } }
        #expect(events.count == 1)
        #expect(String(decoding: events[0].bytes, as: UTF8.self).split(separator: "\n").count == 6)
        #expect(events[0].startOffset == 0)
        #expect(events[0].endOffset == input[5].endOffset)
        #expect(joiner.pendingStartOffset == input[6].startOffset)
        joiner.flush { events.append($0) }
        #expect(String(decoding: events[1].bytes, as: UTF8.self) == "2026-11-22 06:00:01 INFO next")
    }

    @Test func timeoutFlushesThePendingEvent() throws {
        var joiner = try joiner()
        var events: [FramedLine] = []
        for line in lines(["2026-01-01 a", " continued"]) { joiner.add(line, now: 100) { events.append($0) } }
        joiner.flushIfDue(now: 500) { events.append($0) }
        #expect(events.isEmpty)
        #expect(joiner.flushDeadline == 1_100)
        joiner.flushIfDue(now: 1_100) { events.append($0) }
        #expect(events.count == 1)
        #expect(joiner.flushDeadline == nil)
    }

    @Test func maxBytesStartsANewEventWithoutDroppingLines() throws {
        var joiner = try joiner(maxBytes: 30)
        var events: [FramedLine] = []
        let input = lines(["2026-01-01 start", "continuation one", "continuation two"])
        for line in input { joiner.add(line, now: 0) { events.append($0) } }
        joiner.flush { events.append($0) }
        let all = events.map { String(decoding: $0.bytes, as: UTF8.self) }.joined(separator: "\n")
        #expect(all == "2026-01-01 start\ncontinuation one\ncontinuation two")
        #expect(events.count == 3)
        #expect(events.allSatisfy { $0.bytes.count <= 30 })
    }
}
