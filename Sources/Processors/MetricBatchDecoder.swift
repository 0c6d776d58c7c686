import SluiceModel

/// Decodes a `metrics` record value, the JSON `MetricBatch.encodeJSON` writes:
/// `{"timestamp": RFC 3339, "host": "...", "samples": [{"name", "labels": {...}, "value"}]}`
/// (keys in any order, unknown keys skipped). Values are JSON numbers or the strings
/// `"NaN"`, `"+Inf"`, `"-Inf"` (what `JSONWriter.double` writes for non-finite values).
///
/// Built for the ingest rate: one pass over the bytes, no Foundation, no `String` per
/// sample. A sample comes back as the byte ranges of its name and labels (JSON text, with
/// quotes and braces) and a hash of them, so the processor can find its series id by those
/// bytes; only a series seen for the first time is decoded into strings
/// (`string(_:in:)`, `labels(_:in:)`). Pure and thread-safe.
struct MetricBatchDecoder {
    struct Sample: Sendable {
        var name: Range<Int>
        /// Empty when the sample has no `labels`.
        var labels: Range<Int>
        /// Of the name's and labels' bytes.
        var hash: UInt64
        var value: Double
    }

    struct Batch: Sendable {
        /// Milliseconds since the epoch.
        var timestamp: Int64
        /// The host string's range (with quotes), nil when the batch has none.
        var host: Range<Int>?
        var samples: [Sample]
    }

    let bytes: UnsafeRawBufferPointer
    var position = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws(MetricBatchDecodingError) -> Batch {
        var decoder = MetricBatchDecoder(bytes)
        return try decoder.batch()
    }

    // MARK: The batch

    private mutating func batch() throws(MetricBatchDecodingError) -> Batch {
        var timestamp: Int64?
        var host: Range<Int>?
        var samples: [Sample]?
        try expect(UInt8(ascii: "{"), "a batch object")
        try members { (decoder: inout MetricBatchDecoder, key: Range<Int>) throws(MetricBatchDecodingError) in
            if decoder.keyIs(key, "timestamp") {
                let range = try decoder.stringRange()
                guard let parsed = Timestamp(rfc3339: MetricBatchDecoder.string(decoder.bytes, in: range)) else {
                    throw decoder.failure("timestamp is not RFC 3339")
                }
                timestamp = parsed.millisecondsSinceEpoch
            } else if decoder.keyIs(key, "host") {
                host = try decoder.stringRange()
            } else if decoder.keyIs(key, "samples") {
                samples = try decoder.sampleArray()
            } else {
                try decoder.skipValue()
            }
        }
        skipWhitespace()
        guard position == bytes.count else { throw failure("trailing bytes after the batch") }
        guard let timestamp else { throw MetricBatchDecodingError(reason: "no timestamp", position: position) }
        guard let samples else { throw MetricBatchDecodingError(reason: "no samples", position: position) }
        return Batch(timestamp: timestamp, host: host, samples: samples)
    }

    private mutating func sampleArray() throws(MetricBatchDecodingError) -> [Sample] {
        try expect(UInt8(ascii: "["), "a samples array")
        var samples: [Sample] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            position += 1
            return samples
        }
        samples.reserveCapacity(64)
        while true {
            samples.append(try sample())
            skipWhitespace()
            guard position < bytes.count else { throw failure("unterminated samples array") }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "]") { return samples }
            guard byte == UInt8(ascii: ",") else { throw failure("expected , or ] in samples", at: position - 1) }
        }
    }

    private mutating func sample() throws(MetricBatchDecodingError) -> Sample {
        let start = position
        try expect(UInt8(ascii: "{"), "a sample object")
        var name: Range<Int>?
        var labels: Range<Int> = 0..<0
        var value: Double?
        try members { (decoder: inout MetricBatchDecoder, key: Range<Int>) throws(MetricBatchDecodingError) in
            if decoder.keyIs(key, "name") {
                name = try decoder.stringRange()
            } else if decoder.keyIs(key, "labels") {
                labels = try decoder.labelsRange()
            } else if decoder.keyIs(key, "value") {
                value = try decoder.sampleValue()
            } else {
                try decoder.skipValue()
            }
        }
        guard let name else { throw MetricBatchDecodingError(reason: "a sample has no name", position: start) }
        guard let value else { throw MetricBatchDecodingError(reason: "a sample has no value", position: start) }
        let hash = Self.hash(bytes, name, seed: Self.hash(bytes, labels, seed: 0x9E37_79B9_7F4A_7C15))
        return Sample(name: name, labels: labels, hash: hash, value: value)
    }

    /// `{"name":"value",...}` with string values only; returns its range, braces included.
    private mutating func labelsRange() throws(MetricBatchDecodingError) -> Range<Int> {
        skipWhitespace()
        let start = position
        try expect(UInt8(ascii: "{"), "a labels object")
        try members { (decoder: inout MetricBatchDecoder, _: Range<Int>) throws(MetricBatchDecodingError) in
            _ = try decoder.stringRange()
        }
        return start..<position
    }

    private mutating func sampleValue() throws(MetricBatchDecodingError) -> Double {
        skipWhitespace()
        guard position < bytes.count else { throw failure("missing value") }
        if bytes[position] == UInt8(ascii: "\"") {
            let range = try stringRange()
            let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
            if keyIs(inner, "NaN") { return .nan }
            if keyIs(inner, "+Inf") { return .infinity }
            if keyIs(inner, "-Inf") { return -.infinity }
            throw failure("value string must be \"NaN\", \"+Inf\" or \"-Inf\"", at: range.lowerBound)
        }
        return try number()
    }

    // MARK: JSON pieces

    /// Calls `body` once per `"key": value` member of the object whose `{` was just read,
    /// with the key's range without quotes; `body` reads the value. Consumes the `}`.
    private mutating func members(_ body: (inout MetricBatchDecoder, Range<Int>) throws(MetricBatchDecodingError) -> Void)
        throws(MetricBatchDecodingError) {
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            let key = try stringRange()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "a colon")
            skipWhitespace()
            try body(&self, (key.lowerBound + 1)..<(key.upperBound - 1))
            skipWhitespace()
            guard position < bytes.count else { throw failure("unterminated object") }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "}") { return }
            guard byte == UInt8(ascii: ",") else { throw failure("expected , or } in an object", at: position - 1) }
        }
    }

    /// A string's range, quotes included; escapes are checked for shape, not decoded.
    private mutating func stringRange() throws(MetricBatchDecodingError) -> Range<Int> {
        skipWhitespace()
        let start = position
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a string") }
        position += 1
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return start..<position
            }
            if byte == UInt8(ascii: "\\") {
                position += 2
                continue
            }
            if byte < 0x20 { throw failure("control character in a string") }
            position += 1
        }
        throw MetricBatchDecodingError(reason: "unterminated string", position: start)
    }

    /// A JSON number. Exact with one correctly rounded operation when the digits fit 2^53
    /// and the power of ten is within 10^±22 (Clinger's fast path, which covers what
    /// `JSONWriter.double` writes for counters and gauges); otherwise the standard library parses it.
    private mutating func number() throws(MetricBatchDecodingError) -> Double {
        let start = position
        var negative = false
        if peek() == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var sawDigit = false
        while position < bytes.count, let digit = Self.digit(bytes[position]) {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(digit) } else { exponent += 1 }
            if mantissa != 0 { digits += 1 }
            sawDigit = true
            position += 1
        }
        guard sawDigit else { throw failure("expected a number", at: start) }
        if peek() == UInt8(ascii: ".") {
            position += 1
            var fraction = false
            while position < bytes.count, let digit = Self.digit(bytes[position]) {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    exponent -= 1
                    if mantissa != 0 { digits += 1 }
                }
                fraction = true
                position += 1
            }
            guard fraction else { throw failure("expected digits after the decimal point", at: start) }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            position += 1
            var exponentNegative = false
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                exponentNegative = sign == UInt8(ascii: "-")
                position += 1
            }
            var value = 0
            var sawExponentDigit = false
            while position < bytes.count, let digit = Self.digit(bytes[position]) {
                if value < 100_000 { value = value * 10 + digit }
                sawExponentDigit = true
                position += 1
            }
            guard sawExponentDigit else { throw failure("expected exponent digits", at: start) }
            exponent += exponentNegative ? -value : value
        }
        if mantissa < 1 << 53, (-22...22).contains(exponent) {
            var value = Double(mantissa)
            if exponent < 0 { value /= Self.powersOfTen[-exponent] } else { value *= Self.powersOfTen[exponent] }
            return negative ? -value : value
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text) else { throw failure("number out of range", at: start) }
        return value
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// Skips any JSON value (for keys the batch format does not know).
    private mutating func skipValue(depth: Int = 0) throws(MetricBatchDecodingError) {
        guard depth < 64 else { throw failure("nesting too deep") }
        skipWhitespace()
        guard let byte = peek() else { throw failure("missing value") }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try stringRange()
        case UInt8(ascii: "{"):
            position += 1
            try members { (decoder: inout MetricBatchDecoder, _: Range<Int>) throws(MetricBatchDecodingError) in
                try decoder.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "["):
            position += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                position += 1
                return
            }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw failure("unterminated array") }
                position += 1
                if next == UInt8(ascii: "]") { return }
                guard next == UInt8(ascii: ",") else { throw failure("expected , or ] in an array", at: position - 1) }
            }
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            for literal: StaticString in ["true", "false", "null"]
                where keyIs(position..<min(bytes.count, position + literal.utf8CodeUnitCount), literal) {
                position += literal.utf8CodeUnitCount
                return
            }
            throw failure("unknown literal")
        default:
            _ = try number()
        }
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while position < bytes.count {
            let byte = bytes[position]
            guard byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            position += 1
        }
    }

    @inline(__always)
    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(MetricBatchDecodingError) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { throw failure("expected \(what)") }
        position += 1
    }

    /// Whether the bytes in `range` are exactly `text` (ASCII keys and keywords).
    /// Compares bytes with a literal (a `StaticString`, so no `String` is built per key).
    @inline(__always)
    private func keyIs(_ range: Range<Int>, _ text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        let pointer = text.utf8Start
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != pointer[offset] { return false }
        return true
    }

    @inline(__always)
    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte &- UInt8(ascii: "0")) : nil
    }

    private func failure(_ reason: String, at position: Int? = nil) -> MetricBatchDecodingError {
        MetricBatchDecodingError(reason: reason, position: position ?? self.position)
    }

    // MARK: Decoding strings (first sight of a series)

    /// The string at `range` (quotes included), escapes decoded. Invalid UTF-8 is replaced.
    static func string(_ bytes: UnsafeRawBufferPointer, in range: Range<Int>) -> String {
        let inner = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
        guard inner.contains(UInt8(ascii: "\\")) else { return String(decoding: UnsafeRawBufferPointer(rebasing: inner), as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var index = inner.startIndex
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= inner.endIndex else { return nil }
            var value: UInt32 = 0
            for byte in inner[at..<(at + 4)] {
                guard let digit = Int(String(UnicodeScalar(byte)), radix: 16) else { return nil }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
        while index < inner.endIndex {
            let byte = inner[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < inner.endIndex else {
                out.append(byte)
                index += 1
                continue
            }
            let escaped = inner[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(index) else { continue }
                index += 4
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= inner.endIndex, inner[index] == UInt8(ascii: "\\"),
                   inner[index + 1] == UInt8(ascii: "u"), let low = hex4(index + 2), (0xDC00..<0xE000).contains(low) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                out.append(contentsOf: String(UnicodeScalar(scalar) ?? "\u{FFFD}").utf8)
            default: out.append(escaped)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The label pairs of a labels object at `range` (validated by `decode`).
    static func labels(_ bytes: UnsafeRawBufferPointer, in range: Range<Int>) -> [(name: String, value: String)] {
        guard !range.isEmpty else { return [] }
        var decoder = MetricBatchDecoder(UnsafeRawBufferPointer(rebasing: bytes[..<range.upperBound]))
        decoder.position = range.lowerBound + 1
        var pairs: [(name: String, value: String)] = []
        try? decoder.members { (decoder: inout MetricBatchDecoder, key: Range<Int>) throws(MetricBatchDecodingError) in
            let value = try decoder.stringRange()
            pairs.append((string(decoder.bytes, in: (key.lowerBound - 1)..<(key.upperBound + 1)), string(decoder.bytes, in: value)))
        }
        return pairs
    }

    /// A fast 64-bit hash of `range`'s bytes (8 at a time, multiply-xorshift mixing).
    static func hash(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, seed: UInt64) -> UInt64 {
        var state = seed ^ (UInt64(range.count) &* 0x9E37_79B9_7F4A_7C15)
        var index = range.lowerBound
        while range.upperBound - index >= 8 {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            state = (state ^ word) &* 0xBF58_476D_1CE4_E5B9
            state ^= state >> 31
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < range.upperBound {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        state = (state ^ tail) &* 0x94D0_49BB_1331_11EB
        return state ^ (state >> 29)
    }
}

/// A record value that is not a metric batch; `position` is the byte where decoding stopped.
struct MetricBatchDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    var reason: String
    var position: Int

    var description: String { "not a metric batch: \(reason) at byte \(position)" }
}
