// Byte-level helpers shared by the parsers. Parsers scan UTF-8 bytes rather than
// Characters: grapheme breaking is slow and log formats are defined over ASCII.

enum ASCII {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let equals = UInt8(ascii: "=")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let dot = UInt8(ascii: ".")
    static let slash = UInt8(ascii: "/")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let less = UInt8(ascii: "<")
    static let greater = UInt8(ascii: ">")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")

    static func isDigit(_ byte: UInt8) -> Bool { byte >= zero && byte <= nine }
}

typealias Bytes = UnsafeBufferPointer<UInt8>

extension UnsafeBufferPointer where Element == UInt8 {
    /// The bytes in `range` as a String (invalid UTF-8 becomes U+FFFD).
    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[range]), as: UTF8.self)
    }

    /// A view of `range` indexed from zero.
    func slice(_ range: Range<Int>) -> Bytes { UnsafeBufferPointer(rebasing: self[range]) }

    /// The decimal number in `range`, or nil if it is empty, not all digits or too large.
    func decimal(_ range: Range<Int>) -> Int64? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value: Int64 = 0
        for index in range {
            guard ASCII.isDigit(self[index]) else { return nil }
            value = value * 10 + Int64(self[index] - ASCII.zero)
        }
        return value
    }

    /// Whether the bytes at `index` spell `word`.
    func matches(_ word: StaticString, at index: Int) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index >= 0, index + count <= self.count else { return false }
        let pointer = word.utf8Start
        for offset in 0..<count where self[index + offset] != pointer[offset] { return false }
        return true
    }

    /// The index of the first `byte` at or after `start`, or `count`.
    func index(of byte: UInt8, from start: Int) -> Int {
        var index = start
        while index < count, self[index] != byte { index += 1 }
        return index
    }
}

/// Runs `body` over the string's UTF-8 without copying when the string is native.
func withUTF8Bytes<R>(_ string: String, _ body: (Bytes) -> R) -> R {
    if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
    var copy = string
    return copy.withUTF8(body)
}

/// A multi-line event (a Java stack trace) is parsed by its first line; the remaining
/// lines are appended to the message.
struct MultiLine {
    /// The first line, without a trailing `\r`.
    let head: Bytes
    /// The text after the first newline; nil when there is none or it is empty.
    let rest: String?

    init(_ bytes: Bytes) {
        let newline = bytes.index(of: ASCII.newline, from: 0)
        var headEnd = newline
        if headEnd > 0, bytes[headEnd - 1] == ASCII.carriageReturn { headEnd -= 1 }
        head = bytes.slice(0..<headEnd)
        rest = newline + 1 < bytes.count ? bytes.text((newline + 1)..<bytes.count) : nil
    }

    /// The first line's message with the remaining lines appended.
    func message(_ first: String?) -> String? {
        guard let rest else { return first }
        return (first ?? "") + "\n" + rest
    }
}
