import SluiceModel

/// Reads back what `/metrics` writes (Prometheus's text format 0.0.4: `# ` comment lines,
/// `name{label="value",…} value`), so that the appliance can store its own metrics.
/// Lines it cannot read are counted, not guessed at.
public enum ExpositionSamples {
    public struct Sample: Sendable, Equatable {
        /// With `__name__`.
        public var labels: Labels
        public var value: Double
    }

    public static func parse(_ text: String) -> (samples: [Sample], unreadableLines: Int) {
        var samples: [Sample] = []
        var unreadable = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("#") || line.allSatisfy({ $0 == " " }) { continue }
            if let sample = parseLine(Array(line.utf8)) { samples.append(sample) } else { unreadable += 1 }
        }
        return (samples, unreadable)
    }

    static func parseLine(_ bytes: [UInt8]) -> Sample? {
        var index = 0
        func isNameByte(_ byte: UInt8) -> Bool {
            DashboardCatalog.isIdentifierByte(byte) || byte == UInt8(ascii: ":")
        }
        while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
        guard index > 0 else { return nil }
        var pairs = [(name: "__name__", value: String(decoding: bytes[..<index], as: UTF8.self))]
        if index < bytes.count, bytes[index] == UInt8(ascii: "{") {
            index += 1
            while true {
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    break
                }
                let nameStart = index
                while index < bytes.count, isNameByte(bytes[index]) { index += 1 }
                guard index > nameStart, index + 1 < bytes.count, bytes[index] == UInt8(ascii: "="),
                      bytes[index + 1] == UInt8(ascii: "\"") else { return nil }
                let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
                index += 2
                var value: [UInt8] = []
                while true {
                    guard index < bytes.count else { return nil }
                    let byte = bytes[index]
                    index += 1
                    if byte == UInt8(ascii: "\"") { break }
                    if byte == UInt8(ascii: "\\") {
                        guard index < bytes.count else { return nil }
                        let escaped = bytes[index]
                        index += 1
                        value.append(escaped == UInt8(ascii: "n") ? UInt8(ascii: "\n") : escaped)
                    } else {
                        value.append(byte)
                    }
                }
                pairs.append((name, String(decoding: value, as: UTF8.self)))
                if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index += 1 }
            }
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: " ") else { return nil }
        let rest = String(decoding: bytes[(index + 1)...], as: UTF8.self).split(separator: " ")
        guard let text = rest.first, rest.count <= 2, let value = Double(text) ?? special(text) else { return nil }
        return Sample(labels: Labels(unsortedPairs: pairs), value: value)
    }

    private static func special(_ text: Substring) -> Double? {
        switch text {
        case "+Inf", "Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: nil
        }
    }
}
