/// Line and field splitting over /proc text as bytes: the kernel writes ASCII separated
/// by spaces and tabs, so no UTF-8 decoding is needed until a name becomes a label.
enum ProcText {
    typealias Field = ArraySlice<UInt8>

    /// Lines without their newline, numbered from 1; a final empty line is dropped.
    static func lines(_ bytes: [UInt8]) -> [(number: Int, text: Field)] {
        var result: [(number: Int, text: Field)] = []
        var start = bytes.startIndex
        var number = 1
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            result.append((number, bytes[start..<index]))
            start = index + 1
            number += 1
        }
        if start < bytes.endIndex { result.append((number, bytes[start...])) }
        return result
    }

    static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// Fields separated by runs of spaces or tabs.
    static func fields(_ line: Field) -> [Field] {
        line.split(whereSeparator: isBlank)
    }

    /// A decimal unsigned integer, or nil for anything else (sign, empty, overflow).
    static func uint64(_ field: Field) -> UInt64? {
        guard !field.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in field {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    /// A decimal fraction such as `0.52`.
    static func double(_ field: Field) -> Double? {
        guard !field.isEmpty, field.allSatisfy({ $0 == UInt8(ascii: ".") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) })
        else { return nil }
        return Double(string(field))
    }

    static func string(_ field: Field) -> String { String(decoding: field, as: UTF8.self) }

    /// Trims spaces and tabs at both ends.
    static func trimmed(_ field: Field) -> Field {
        guard let first = field.firstIndex(where: { !isBlank($0) }),
              let last = field.lastIndex(where: { !isBlank($0) }) else { return field[field.endIndex...] }
        return field[first...last]
    }
}
