import AgentInputs
import SluiceModel

/// Encodes a file's lines as log events (SPEC §3) without building a `LogEvent` per
/// line: the parts that are the same for every line of a file are encoded once.
///
/// `{"timestamp":…,"host":…,"source":"file","message":…,"file":…,"offset":N,
/// ["split_part":n,"split_last":b,]["invalid_utf8":true,]"labels":{…}}`
struct FileEventEncoder {
    private let head: [UInt8]
    private let fileField: [UInt8]
    private let tail: [UInt8]

    init(host: String, path: String, labels: Labels) {
        var writer = JSONWriter()
        writer.raw("\",\"host\":")
        writer.string(host)
        writer.raw(",\"source\":\"file\",\"message\":")
        head = writer.bytes
        writer = JSONWriter()
        writer.raw(",\"file\":")
        writer.string(path)
        writer.raw(",\"offset\":")
        fileField = writer.bytes
        writer = JSONWriter()
        if !labels.isEmpty {
            writer.raw(",\"labels\":")
            labels.writeJSON(to: &writer)
        }
        writer.raw("}")
        tail = writer.bytes
    }

    /// `{"timestamp":"<RFC 3339>` for a batch of lines read at the same moment, formatted once.
    static func prefix(for timestamp: Timestamp) -> [UInt8] {
        var bytes = Array("{\"timestamp\":\"".utf8)
        timestamp.appendRFC3339(to: &bytes)
        return bytes
    }

    func encode(_ line: FramedLine, timestamp: Timestamp) -> [UInt8] {
        encode(line, prefix: Self.prefix(for: timestamp))
    }

    func encode(_ line: FramedLine, prefix: [UInt8]) -> [UInt8] {
        var writer = JSONWriter(capacity: line.bytes.count + prefix.count + head.count + fileField.count + tail.count + 48)
        writer.rawBytes(prefix)
        writer.rawBytes(head)
        let invalid = writer.string(bytes: line.bytes)
        writer.rawBytes(fileField)
        writer.int(line.startOffset)
        if let part = line.part {
            writer.raw(",\"split_part\":")
            writer.int(Int64(part.number))
            writer.raw(",\"split_last\":")
            writer.bool(part.isLast)
        }
        if invalid { writer.raw(",\"invalid_utf8\":true") }
        writer.rawBytes(tail)
        return writer.bytes
    }
}
