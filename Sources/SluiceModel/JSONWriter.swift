/// Appends JSON to a caller's byte buffer without Foundation, so the agent stays small
/// and the hot path (one log line → one JSON object) allocates nothing per field.
///
/// Strings given as bytes may hold anything a log file holds. Valid UTF-8 is copied as
/// is; each byte that is not part of a valid UTF-8 sequence is written as the six
/// characters `\\xNN` (a JSON-escaped backslash, `x`, two hex digits), so nothing is
/// dropped and the output is always valid JSON. `escapedInvalidUTF8` tells callers when
/// that happened so they can mark the event.
public struct JSONWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public init(appendingTo bytes: [UInt8]) { self.bytes = bytes }

    @inlinable public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inlinable public mutating func raw(_ byte: UInt8) { bytes.append(byte) }

    public mutating func rawBytes(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// `"key":` (the key is escaped like any string).
    public mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { _ = string(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// Writes a JSON string from arbitrary bytes; returns true when some bytes were not
    /// valid UTF-8 and were written as `\\xNN`.
    @discardableResult
    public mutating func string(bytes input: [UInt8]) -> Bool {
        input.withUnsafeBytes { string(utf8: $0) }
    }

    @discardableResult
    public mutating func string(utf8 input: UnsafeRawBufferPointer) -> Bool {
        bytes.append(UInt8(ascii: "\""))
        let escaped = appendEscaped(input)
        bytes.append(UInt8(ascii: "\""))
        return escaped
    }

    public mutating func int(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            uint(value == .min ? UInt64(Int64.max) + 1 : UInt64(-value))
        } else {
            uint(UInt64(value))
        }
    }

    /// Digits without going through `String` (this runs once per log line).
    public mutating func uint(_ value: UInt64) {
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0) // 32 bytes of scratch
        withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            var rest = value
            repeat {
                index -= 1
                scratch[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }

    public mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// A finite double as JSON; NaN and infinities (not JSON) as the strings Prometheus
    /// uses for them.
    public mutating func double(_ value: Double) {
        if value.isNaN {
            raw("\"NaN\"")
        } else if value.isInfinite {
            if value > 0 { raw("\"+Inf\"") } else { raw("\"-Inf\"") }
        } else if value == value.rounded(.towardZero), abs(value) < 1e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendEscaped(_ input: UnsafeRawBufferPointer) -> Bool {
        var escapedInvalid = false
        var index = 0
        let count = input.count
        while index < count {
            // Copy the longest run of bytes that need no escaping in one go.
            var run = index
            while run < count {
                let byte = input[run]
                if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte >= 0x80 { break }
                run += 1
            }
            if run > index {
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[index..<run]))
                index = run
                if index == count { break }
            }
            let byte = input[index]
            switch byte {
            case UInt8(ascii: "\""): raw("\\\""); index += 1
            case UInt8(ascii: "\\"): raw("\\\\"); index += 1
            case 0x0A: raw("\\n"); index += 1
            case 0x0D: raw("\\r"); index += 1
            case 0x09: raw("\\t"); index += 1
            case 0..<0x20:
                raw("\\u00")
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0xF)])
                index += 1
            default:
                let length = Self.validUTF8SequenceLength(input, at: index)
                if length > 0 {
                    bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[index..<(index + length)]))
                    index += length
                } else {
                    raw("\\\\x")
                    bytes.append(Self.hex[Int(byte >> 4)])
                    bytes.append(Self.hex[Int(byte & 0xF)])
                    escapedInvalid = true
                    index += 1
                }
            }
        }
        return escapedInvalid
    }

    /// Length of the well-formed UTF-8 sequence starting at `index` (RFC 3629: no
    /// overlongs, no surrogates, nothing above U+10FFFF), or 0 when there is none.
    static func validUTF8SequenceLength(_ input: UnsafeRawBufferPointer, at index: Int) -> Int {
        let first = input[index]
        let remaining = input.count - index
        func continuation(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            offset < remaining && (low...high).contains(input[index + offset])
        }
        switch first {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return continuation(1, 0xA0, 0xBF) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xED:
            return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0
        case 0xF0:
            return continuation(1, 0x90, 0xBF) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }
}
