import CommitLog

/// The committed-offsets file: magic "SLUICEMO", then the marks (count; per mark: topic as
/// length + UTF-8, partition and offset zig-zag), then CRC-32C of the marks (u32
/// little-endian). Replaced atomically after each block is durable.
enum CommittedOffsetsFile {
    static let magic: [UInt8] = Array("SLUICEMO".utf8)

    static func serialized(_ marks: [TopicPartition: Int64]) -> [UInt8] {
        var body: [UInt8] = []
        body.appendStoredVarint(marks.count)
        for (partition, offset) in marks.sorted(by: { $0.key < $1.key }) {
            body.appendStoredString(partition.topic)
            body.appendStoredZigZag(Int64(partition.partition))
            body.appendStoredZigZag(offset)
        }
        var out = magic
        out.append(contentsOf: body)
        out.appendStoredLittleEndian(CRC32C.checksum(body))
        return out
    }

    static func parse(_ bytes: [UInt8], path: String) throws -> [TopicPartition: Int64] {
        guard bytes.count >= magic.count + 4, Array(bytes[..<magic.count]) == magic else {
            throw MetricStoreError.corrupt(path: path, reason: "no magic")
        }
        let body = bytes[magic.count..<(bytes.count - 4)]
        let stored = bytes[(bytes.count - 4)...].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard CRC32C.checksum(body) == stored else { throw MetricStoreError.corrupt(path: path, reason: "checksum mismatch") }
        return try Array(body).withUnsafeBytes { raw in
            var reader = FieldReader(raw, path: path)
            var marks: [TopicPartition: Int64] = [:]
            for _ in 0..<(try reader.count(limit: raw.count)) {
                let topic = try reader.string()
                let partition = try reader.zigZag()
                guard let partition = Int32(exactly: partition) else { throw reader.corrupt("partition \(partition) out of range") }
                marks[TopicPartition(topic: topic, partition: partition)] = try reader.zigZag()
            }
            guard reader.isAtEnd else { throw reader.corrupt("trailing bytes") }
            return marks
        }
    }
}
