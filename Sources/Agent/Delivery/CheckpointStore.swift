import AgentInputs
import Glibc
import Synchronization

/// What a checkpoint remembers for one stream: a tailed file or a journal.
public enum CheckpointKey: Hashable, Sendable, CustomStringConvertible {
    case file(input: String, identity: FileIdentity)
    case journal(input: String)
    /// The input has run before (so `start_at` no longer applies to it).
    case input(String)

    public var description: String {
        switch self {
        case .file(let input, let identity): "\(input) file \(identity)"
        case .journal(let input): "\(input) journal"
        case .input(let input): "\(input) input"
        }
    }

    var input: String {
        switch self {
        case .file(let input, _), .journal(let input), .input(let input): input
        }
    }
}

public enum CheckpointValue: Sendable, Equatable {
    case file(FilePosition)
    case journal(cursor: String)
    case started
}

/// Where a file's acknowledged events end.
public struct FilePosition: Sendable, Equatable {
    public var path: String
    public var offset: Int64
    public var fingerprint: FileFingerprint
    /// Largest size seen, to tell after a restart how much a truncation destroyed.
    public var size: Int64

    public init(path: String, offset: Int64, fingerprint: FileFingerprint, size: Int64) {
        self.path = path
        self.offset = offset
        self.fingerprint = fingerprint
        self.size = size
    }
}

/// The agent's checkpoints: for every stream, the position up to which the broker has
/// acknowledged every event, and only that.
///
/// Sources `register` each batch before sending it and get a ticket; delivery
/// `acknowledge`s tickets in any order; a stream's position advances over the longest
/// acknowledged prefix of its batches. `writeIfChanged()` saves all positions to one file
/// atomically (write to a temporary file, fsync, rename, fsync the folder), so after
/// SIGKILL or power loss the file holds either the old or the new checkpoint, never a
/// mix; it returns the window space its batches held, which the caller releases.
///
/// File layout (text, one record per line, fields separated by tabs, `\\`, `\t`, `\n`
/// escaped): `sluice-agent-checkpoints 1`, then `file <input> <dev:inode> <offset>
/// <fingerprint length> <fingerprint hash> <size> <path>`, `journal <input> <cursor>` and
/// `input <input>` (it has run before) lines, then `end <record count>` so a damaged file
/// is recognised.
///
/// Thread-safe (one mutex); writes are serialised by their single caller, the writer task.
public final class CheckpointStore: Sendable {
    public let path: String

    public struct Ticket: Sendable {
        let key: CheckpointKey?
        let sequence: UInt64
    }

    private struct PendingBatch {
        var sequence: UInt64
        var value: CheckpointValue?
        var bytes: Int
        var events: Int
        var acknowledged: Bool
    }

    private struct Stream {
        var nextSequence: UInt64 = 0
        var pending: [PendingBatch] = []
        /// The source is done with it: drop its checkpoint once everything is acknowledged.
        var finishing = false
    }

    private struct State {
        var saved: [CheckpointKey: CheckpointValue] = [:]
        var streams: [CheckpointKey: Stream] = [:]
        var changed = false
        var releasableBytes = 0
        var releasableEvents = 0
    }

    private let state: Mutex<State>
    /// Raised when there is something new to write.
    public let changedSignal = AsyncSignal()

    /// Opens the checkpoint file in `directory` (creating the folder), reading what is
    /// there. A damaged file is an error: starting over would re-send or skip data.
    public init(directory: String) throws {
        try AgentFiles.makeDirectory(directory)
        path = directory + "/checkpoints"
        var initial = State()
        if let bytes = AgentFiles.readWholeFile(path) {
            initial.saved = try Self.decode(bytes, path: path)
        } else if errno != ENOENT {
            throw AgentConfigError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        state = Mutex(initial)
    }

    /// The saved position of a stream, if any.
    public func saved(_ key: CheckpointKey) -> CheckpointValue? {
        state.withLock { $0.saved[key] }
    }

    /// Every saved key of one input (to find files that went away while the agent was down).
    public func savedKeys(input: String) -> [CheckpointKey: CheckpointValue] {
        state.withLock { state in
            state.saved.filter { key, _ in key.input == input }
        }
    }

    /// Records a batch about to be sent; `value` is the position once it (and everything
    /// before it in the stream) is acknowledged. A nil key is a batch with no position
    /// (an agent event): it only holds window space until acknowledged.
    public func register(_ key: CheckpointKey?, value: CheckpointValue?, bytes: Int, events: Int) -> Ticket {
        state.withLock { state in
            guard let key else { return Ticket(key: nil, sequence: 0) }
            var stream = state.streams[key] ?? Stream()
            let sequence = stream.nextSequence
            stream.nextSequence += 1
            stream.pending.append(PendingBatch(sequence: sequence, value: value, bytes: bytes, events: events, acknowledged: false))
            stream.finishing = false
            state.streams[key] = stream
            return Ticket(key: key, sequence: sequence)
        }
    }

    /// The broker acknowledged every record of the ticket's batch.
    public func acknowledge(_ ticket: Ticket, bytes: Int, events: Int) {
        state.withLock { state in
            guard let key = ticket.key else {
                state.releasableBytes += bytes
                state.releasableEvents += events
                state.changed = true
                return
            }
            guard var stream = state.streams[key],
                  let index = stream.pending.firstIndex(where: { $0.sequence == ticket.sequence }) else { return }
            stream.pending[index].acknowledged = true
            var advanced = 0
            for batch in stream.pending {
                guard batch.acknowledged else { break }
                if let value = batch.value { state.saved[key] = value }
                state.releasableBytes += batch.bytes
                state.releasableEvents += batch.events
                advanced += 1
            }
            stream.pending.removeFirst(advanced)
            if advanced > 0 { state.changed = true }
            Self.store(stream, key: key, in: &state)
        }
        changedSignal.raise()
    }

    /// Moves a stream's position without sending anything (the journal passed entries its
    /// filters drop). Applied after the batches already in flight.
    public func advance(_ key: CheckpointKey, to value: CheckpointValue) {
        state.withLock { state in
            var stream = state.streams[key] ?? Stream()
            if stream.pending.isEmpty {
                if state.saved[key] != value {
                    state.saved[key] = value
                    state.changed = true
                }
            } else {
                stream.pending.append(PendingBatch(sequence: stream.nextSequence, value: value, bytes: 0, events: 0, acknowledged: true))
                stream.nextSequence += 1
            }
            state.streams[key] = stream
        }
        changedSignal.raise()
    }

    /// The source is done with a stream (a rotated file read to its end): its checkpoint
    /// is dropped once its last batch is acknowledged.
    public func finish(_ key: CheckpointKey) {
        state.withLock { state in
            var stream = state.streams[key] ?? Stream()
            stream.finishing = true
            Self.store(stream, key: key, in: &state)
        }
        changedSignal.raise()
    }

    /// Forgets a saved position that no longer names anything (a file gone for good).
    public func forget(_ key: CheckpointKey) {
        state.withLock { state in
            if state.saved.removeValue(forKey: key) != nil { state.changed = true }
            state.streams[key] = nil
        }
    }

    private static func store(_ stream: Stream, key: CheckpointKey, in state: inout State) {
        if stream.finishing && stream.pending.isEmpty {
            state.streams[key] = nil
            if state.saved.removeValue(forKey: key) != nil { state.changed = true }
        } else {
            state.streams[key] = stream
        }
    }

    /// Saves the positions if they changed; returns the window space the newly covered
    /// batches held. On failure nothing is released and the next call tries again.
    public func writeIfChanged() throws -> (bytes: Int, events: Int) {
        let snapshot: (saved: [CheckpointKey: CheckpointValue], bytes: Int, events: Int)? = state.withLock { state in
            guard state.changed else { return nil }
            state.changed = false
            defer {
                state.releasableBytes = 0
                state.releasableEvents = 0
            }
            return (state.saved, state.releasableBytes, state.releasableEvents)
        }
        guard let snapshot else { return (0, 0) }
        do {
            try AgentFiles.writeAtomically(Self.encode(snapshot.saved), to: path)
        } catch {
            state.withLock { state in
                state.changed = true
                state.releasableBytes += snapshot.bytes
                state.releasableEvents += snapshot.events
            }
            throw error
        }
        return (snapshot.bytes, snapshot.events)
    }

    // MARK: File format

    static let header = "sluice-agent-checkpoints 1"

    static func encode(_ saved: [CheckpointKey: CheckpointValue]) -> [UInt8] {
        var lines: [String] = [header]
        // Sorted so that the same state gives the same bytes.
        for (key, value) in saved.sorted(by: { $0.key.description < $1.key.description }) {
            switch (key, value) {
            case (.file(let input, let identity), .file(let position)):
                lines.append(["file", escape(input), identity.description, String(position.offset),
                              String(position.fingerprint.length), String(position.fingerprint.hash),
                              String(position.size), escape(position.path)].joined(separator: "\t"))
            case (.journal(let input), .journal(let cursor)):
                lines.append(["journal", escape(input), escape(cursor)].joined(separator: "\t"))
            case (.input(let input), .started):
                lines.append(["input", escape(input)].joined(separator: "\t"))
            default:
                continue
            }
        }
        lines.append("end\t\(lines.count - 1)")
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> [CheckpointKey: CheckpointValue] {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func damaged(_ why: String) -> AgentConfigError {
            AgentConfigError("checkpoint file \(path) is damaged (\(why)); move it away to start over")
        }
        guard lines.first == header else { throw damaged("no header") }
        var saved: [CheckpointKey: CheckpointValue] = [:]
        var records = 0
        for line in lines.dropFirst() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch fields.first {
            case "file":
                guard fields.count == 8, let identity = FileIdentity(key: fields[2]), let offset = Int64(fields[3]),
                      let length = Int(fields[4]), let hash = UInt64(fields[5]), let size = Int64(fields[6]) else {
                    throw damaged("bad file record")
                }
                saved[.file(input: unescape(fields[1]), identity: identity)] = .file(FilePosition(
                    path: unescape(fields[7]), offset: offset, fingerprint: FileFingerprint(length: length, hash: hash), size: size))
                records += 1
            case "journal":
                guard fields.count == 3 else { throw damaged("bad journal record") }
                saved[.journal(input: unescape(fields[1]))] = .journal(cursor: unescape(fields[2]))
                records += 1
            case "input":
                guard fields.count == 2 else { throw damaged("bad input record") }
                saved[.input(unescape(fields[1]))] = .started
                records += 1
            case "end":
                guard fields.count == 2, Int(fields[1]) == records else { throw damaged("record count does not match") }
                return saved
            default:
                throw damaged("unknown record")
            }
        }
        throw damaged("no end record")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func unescape(_ text: String) -> String {
        var out = ""
        var escaping = false
        for character in text {
            if escaping {
                switch character {
                case "t": out += "\t"
                case "n": out += "\n"
                default: out.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}
