import KafkaWire

/// Opens a partition folder and recovers it after a crash.
///
/// After a clean close (a `clean-shutdown` marker is present) nothing is scanned: sealed
/// segments open lazily and the active segment's end is found from its index. Otherwise
/// every segment from the one holding the recovery point onward is verified batch by batch
/// (framing, magic, CRC-32C, dense offsets, stored leader epoch); the first bad or torn
/// batch and everything after it is cut off, and the indexes of verified segments are
/// rebuilt. Segments below the recovery point were fsynced with their indexes before the
/// recovery point passed them, so recovery time does not grow with their size.
enum LogLoader {
    static let recoveryChunkBytes = 8 << 20

    struct Loaded {
        var segments: [LogSegment]
        var recoveryPoint: Int64
        /// Sealed segments whose data or indexes were rewritten and are not yet fsynced.
        var unsyncedSealed: [LogSegment]
        /// What recovery cut off, for the caller's log.
        var truncations: [String]
    }

    static func load(directory: String, config: LogConfig, clock: LogClock) throws -> Loaded {
        try FileSystem.createDirectory(directory)
        var baseOffsets: [Int64] = []
        for name in try FileSystem.contents(of: directory) {
            if name.hasSuffix(LogFileNames.temporarySuffix) {
                try FileSystem.remove(directory + "/" + name)
            } else if let base = LogFileNames.baseOffset(ofFile: name, suffix: LogFileNames.logSuffix) {
                baseOffsets.append(base)
            }
        }
        baseOffsets.sort()
        let cleanMarker = directory + "/" + LogFileNames.cleanShutdown
        let wasClean = FileSystem.exists(cleanMarker)
        var recoveryPoint = readRecoveryPoint(directory: directory)

        var segments: [LogSegment] = []
        for base in baseOffsets {
            let file = try FileHandle.open(directory + "/" + LogFileNames.log(base))
            segments.append(LogSegment(baseOffset: base, directory: directory, file: file, size: try file.size()))
        }
        if segments.isEmpty {
            segments.append(try LogSegment.create(directory: directory, baseOffset: 0))
            recoveryPoint = 0
        }

        var loaded = Loaded(segments: segments, recoveryPoint: recoveryPoint, unsyncedSealed: [], truncations: [])
        var changedFiles = false
        var trustMarker = wasClean
        if wasClean {
            let active = loaded.segments.last!
            _ = try active.loadedIndexes(nextOffset: Int64.max, intervalBytes: config.indexIntervalBytes)
            // The marker vouches for whole batches up to the file's end; anything else
            // (a file changed after the close) gets the full recovery.
            if walkToEnd(of: active, config: config).position != active.size {
                active.indexes = nil
                trustMarker = false
            }
        }
        if !trustMarker {
            changedFiles = try recover(&loaded, config: config)
        }
        let active = loaded.segments.last!
        if active.size > 0 {
            active.rollingTimestamp = min(clock.now(), try firstBatchTimestamp(active) ?? clock.now())
        }
        let logEnd = nextOffset(of: active, config: config)
        if loaded.recoveryPoint > logEnd {
            loaded.recoveryPoint = logEnd
            try writeRecoveryPoint(logEnd, directory: directory)
        }
        if wasClean { try FileSystem.remove(cleanMarker) }
        if changedFiles {
            try active.file.sync()
        }
        if wasClean || changedFiles { try FileSystem.syncDirectory(directory) }
        return loaded
    }

    /// Verifies segments from the recovery point on. Returns whether files changed.
    private static func recover(_ loaded: inout Loaded, config: LogConfig) throws -> Bool {
        let segments = loaded.segments
        let first = segments.lastIndex { $0.baseOffset <= loaded.recoveryPoint } ?? 0
        var expected = segments[first].baseOffset
        var changed = false
        for index in first..<segments.count {
            let segment = segments[index]
            var problem: String?
            if segment.baseOffset != expected {
                problem = "segment \(LogFileNames.log(segment.baseOffset)) starts at offset \(segment.baseOffset) but the log continues at \(expected)"
            } else {
                let fileSize = segment.size
                let result = try verify(segment, fileSize: fileSize, config: config)
                segment.size = result.validBytes
                expected = result.nextOffset
                if result.validBytes < fileSize {
                    try segment.file.truncate(to: result.validBytes)
                    loaded.truncations.append("\(LogFileNames.log(segment.baseOffset)): \(result.problem ?? "?"); truncated \(fileSize - result.validBytes) bytes at position \(result.validBytes)")
                    changed = true
                    // Everything after a damaged batch is unreachable: offsets must stay dense.
                    try removeSegments(segments[(index + 1)...], reason: "follows a truncated segment", into: &loaded)
                    loaded.segments = Array(segments[...index])
                    return changed
                }
                if index < segments.count - 1 {
                    segment.indexes!.seal(segmentBaseOffset: segment.baseOffset)
                    try segment.writeIndexFiles()
                    loaded.unsyncedSealed.append(segment)
                }
                continue
            }
            // A segment that does not continue the log: drop it and everything after.
            try removeSegments(segments[index...], reason: problem!, into: &loaded)
            loaded.segments = Array(segments[..<index])
            loaded.unsyncedSealed.removeAll { $0 === segments[index - 1] }
            return true
        }
        return changed
    }

    private static func removeSegments(_ doomed: ArraySlice<LogSegment>, reason: String, into loaded: inout Loaded) throws {
        for segment in doomed {
            loaded.truncations.append("\(LogFileNames.log(segment.baseOffset)): removed, \(reason)")
            try segment.removeFiles()
        }
    }

    /// Walks the segment verifying every batch, building its indexes; stops at the first problem.
    static func verify(_ segment: LogSegment, fileSize: Int, config: LogConfig) throws
        -> (validBytes: Int, nextOffset: Int64, problem: String?)
    {
        var indexes = SegmentIndexes()
        var position = 0
        var nextOffset = segment.baseOffset
        var problem: String?
        var chunk: [UInt8] = []
        var chunkStart = 0
        scan: while position < fileSize {
            if position + RecordBatchHeader.logOverhead > chunkStart + chunk.count {
                chunk = try segment.file.read(at: position, count: min(recoveryChunkBytes, fileSize - position))
                chunkStart = position
            }
            let (baseOffset, totalSize) = chunk.withUnsafeBytes {
                RecordBatchHeader.peekFraming($0, at: position - chunkStart)
            } ?? (0, 0)
            guard totalSize >= RecordBatchHeader.size, totalSize <= fileSize - position else {
                problem = "torn or corrupt batch framing (size \(totalSize), \(fileSize - position) bytes left)"
                break scan
            }
            if position + totalSize > chunkStart + chunk.count {
                chunk = try segment.file.read(at: position, count: min(max(recoveryChunkBytes, totalSize), fileSize - position))
                chunkStart = position
            }
            let outcome: Result<RecordBatchHeader, RecordBatchError> = chunk.withUnsafeBytes { buffer in
                let start = position - chunkStart
                do { return .success(try RecordBatch.validate(UnsafeRawBufferPointer(rebasing: buffer[start..<start + totalSize]))) }
                catch let error as RecordBatchError { return .failure(error) } catch { return .failure(.corrupt("\(error)")) }
            }
            switch outcome {
            case .failure(let error):
                problem = error.description
                break scan
            case .success(let header):
                guard baseOffset == nextOffset else {
                    problem = "batch base offset \(baseOffset), expected \(nextOffset)"
                    break scan
                }
                guard header.partitionLeaderEpoch == PartitionLog.storedLeaderEpoch else {
                    problem = "batch leader epoch \(header.partitionLeaderEpoch), the log writes \(PartitionLog.storedLeaderEpoch)"
                    break scan
                }
                guard header.lastOffset - segment.baseOffset <= Int64(UInt32.max) else {
                    problem = "offset \(header.lastOffset) too far from segment base"
                    break scan
                }
                indexes.add(header, at: position, segmentBaseOffset: segment.baseOffset, intervalBytes: config.indexIntervalBytes)
                position += totalSize
                nextOffset = header.nextOffset
            }
        }
        segment.indexes = indexes
        return (position, nextOffset, problem)
    }

    /// The offset after the segment's last batch, walking from its last index entry.
    static func nextOffset(of segment: LogSegment, config: LogConfig) -> Int64 {
        walkToEnd(of: segment, config: config).nextOffset
    }

    /// Walks whole batches from the segment's last index entry to the first position where
    /// none starts; returns that position and the offset after the last batch.
    static func walkToEnd(of segment: LogSegment, config: LogConfig) -> (position: Int, nextOffset: Int64) {
        let indexes = segment.indexes ?? SegmentIndexes()
        var position = indexes.offsetIndex.positions.last.map(Int.init) ?? 0
        var next = segment.baseOffset
        var walker = BatchWalker(file: segment.file, end: segment.size)
        while position < segment.size, let header = try? walker.header(at: position) {
            next = header.nextOffset
            position += header.totalSize
        }
        return (position, next)
    }

    private static func firstBatchTimestamp(_ segment: LogSegment) throws -> Int64? {
        var walker = BatchWalker(file: segment.file, end: segment.size)
        return try walker.header(at: 0)?.maxTimestamp
    }

    // MARK: recovery-point file: "SLRP", version 1, offset (Int64 BE), CRC-32C of the offset bytes.

    static func readRecoveryPoint(directory: String) -> Int64 {
        guard let bytes = try? FileSystem.readWholeFile(directory + "/" + LogFileNames.recoveryPoint),
              bytes.count == 17, bytes.starts(with: Array("SLRP".utf8)), bytes[4] == 1
        else { return 0 }
        let offsetBytes = Array(bytes[5..<13])
        guard CRC32C.checksum(offsetBytes) == bytes.bigEndianValue(UInt32.self, at: 13) else { return 0 }
        return offsetBytes.bigEndianValue(Int64.self, at: 0)
    }

    static func writeRecoveryPoint(_ offset: Int64, directory: String) throws {
        var offsetBytes: [UInt8] = []
        offsetBytes.appendBigEndian(offset)
        var bytes = Array("SLRP".utf8) + [1] + offsetBytes
        bytes.appendBigEndian(CRC32C.checksum(offsetBytes))
        try FileSystem.writeAtomically(bytes, to: directory + "/" + LogFileNames.recoveryPoint, directory: directory)
    }
}
