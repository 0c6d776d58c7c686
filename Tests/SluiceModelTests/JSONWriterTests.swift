import SluiceModel
import Testing

@Suite struct JSONWriterTests {
    private func encode(_ bytes: [UInt8]) -> (String, Bool) {
        var writer = JSONWriter()
        let escaped = writer.string(bytes: bytes)
        return (String(decoding: writer.bytes, as: UTF8.self), escaped)
    }

    @Test func plainTextAndControlCharacters() {
        #expect(encode(Array("hello".utf8)) == ("\"hello\"", false))
        #expect(encode(Array("a\"b\\c\nd\te\r\u{01}".utf8)) == ("\"a\\\"b\\\\c\\nd\\te\\r\\u0001\"", false))
    }

    @Test func validMultibyteUTF8IsCopied() {
        let text = "grüße 日本 🚀"
        #expect(encode(Array(text.utf8)) == ("\"\(text)\"", false))
    }

    @Test func invalidBytesAreKeptEscaped() {
        // A lone continuation byte, a truncated 3-byte sequence, an overlong, a surrogate, 0xFF.
        let cases: [([UInt8], String)] = [
            ([0x61, 0x80, 0x62], "\"a\\\\x80b\""),
            ([0xE2, 0x82], "\"\\\\xe2\\\\x82\""),
            ([0xC0, 0xAF], "\"\\\\xc0\\\\xaf\""),
            ([0xED, 0xA0, 0x80], "\"\\\\xed\\\\xa0\\\\x80\""),
            ([0xFF], "\"\\\\xff\""),
        ]
        for (input, expected) in cases {
            #expect(encode(input) == (expected, true), "\(input)")
        }
    }

    @Test func everyOutputIsValidUTF8ForRandomInput() {
        var state: UInt64 = 42
        for _ in 0..<2000 {
            var input: [UInt8] = []
            for _ in 0..<Int(state % 40) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                input.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            var writer = JSONWriter()
            writer.string(bytes: input)
            #expect(String(validating: writer.bytes, as: UTF8.self) != nil)
        }
    }

    @Test func doubles() {
        var writer = JSONWriter()
        writer.double(3); writer.raw(","); writer.double(0.25); writer.raw(","); writer.double(.nan)
        writer.raw(","); writer.double(-.infinity)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "3,0.25,\"NaN\",\"-Inf\"")
    }
}

@Suite struct JSONWriterNumberTests {
    @Test(arguments: [Int64.min, -1_234_567, -1, 0, 7, 42, 1_000_000_007, Int64.max])
    func integersMatchTheirDescription(value: Int64) {
        var writer = JSONWriter()
        writer.int(value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == String(value))
    }
}
