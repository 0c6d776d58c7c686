import SluiceModel

/// What a replay reports as it goes; one NDJSON line each (`ndjsonLine`), the body of
/// `POST /api/sluice/v1/replay` and what `sluice replay --output ndjson` prints (all but
/// progress).
public enum ReplayEvent: Sendable, Equatable {
    /// `{"type":"progress","phase":"read","bytes_read","bytes_total","records"}` while
    /// reading the topic, then `{"type":"progress","phase":"evaluate",…,"evaluated_through","fraction"}`
    /// after each evaluated stretch.
    case progress(ReplayProgress)
    /// `{"type":"transition","time","rule","group","file","labels","from","to","value"}`
    case transition(ReplayTransition)
    /// `{"type":"summary","rule","group","file","transitions","fired","resolved","flaps","errors"}`
    case summary(ReplayRuleSummary)
    /// `{"type":"done","from","to","warmup_from","records","invalid_records","samples",
    /// "evaluations","precomputed","transitions","republished"}`
    case done(ReplayTotals)
    /// `{"type":"error","error"}`: the replay stopped (the response had begun, so this is
    /// its last line instead of an HTTP status).
    case error(String)
}

public struct ReplayProgress: Sendable, Equatable {
    public enum Phase: String, Sendable {
        case read, evaluate
    }

    public var phase: Phase
    public var bytesRead: Int64
    public var bytesTotal: Int64
    public var records: Int
    /// Evaluate phase: evaluated through this time (ms), and that as a fraction of the window.
    public var evaluatedThrough: Int64?
    public var fraction: Double?

    public init(phase: Phase, bytesRead: Int64, bytesTotal: Int64, records: Int,
                evaluatedThrough: Int64? = nil, fraction: Double? = nil) {
        self.phase = phase
        self.bytesRead = bytesRead
        self.bytesTotal = bytesTotal
        self.records = records
        self.evaluatedThrough = evaluatedThrough
        self.fraction = fraction
    }
}

/// A replay's totals; all deterministic for a given topic content and request.
public struct ReplayTotals: Sendable, Equatable {
    public var from: Int64
    public var to: Int64
    /// Where reading began: `from` minus the rules' warm-up (`from` when only re-publishing).
    public var warmupFrom: Int64
    /// Records read for the backtest (from the warm-up on), or else re-published.
    public var records = 0
    public var invalidRecords = 0
    public var samples = 0
    public var evaluation = ReplayEvaluationTotals()
    /// Records written to `into_topic`.
    public var republished = 0

    public init(from: Int64, to: Int64, warmupFrom: Int64) {
        self.from = from
        self.to = to
        self.warmupFrom = warmupFrom
    }
}

extension ReplayEvent {
    /// The event as one JSON line, newline included.
    public var ndjsonLine: [UInt8] {
        var writer = JSONWriter(capacity: 256)
        switch self {
        case .progress(let progress):
            writer.raw("{\"type\":\"progress\",\"phase\":")
            writer.string(progress.phase.rawValue)
            writer.raw(",\"bytes_read\":")
            writer.int(progress.bytesRead)
            writer.raw(",\"bytes_total\":")
            writer.int(progress.bytesTotal)
            writer.raw(",\"records\":")
            writer.int(Int64(progress.records))
            if let through = progress.evaluatedThrough {
                writer.raw(",\"evaluated_through\":")
                Self.time(through, to: &writer)
            }
            if let fraction = progress.fraction {
                writer.raw(",\"fraction\":")
                writer.double((fraction * 1000).rounded() / 1000)
            }
        case .transition(let transition):
            writer.raw("{\"type\":\"transition\",\"time\":")
            Self.time(transition.time, to: &writer)
            writer.raw(",\"rule\":")
            writer.string(transition.rule)
            writer.raw(",\"group\":")
            writer.string(transition.group)
            writer.raw(",\"file\":")
            writer.string(transition.file)
            writer.raw(",\"labels\":")
            transition.labels.writeJSON(to: &writer)
            writer.raw(",\"from\":")
            writer.string(transition.from.rawValue)
            writer.raw(",\"to\":")
            writer.string(transition.to.rawValue)
            writer.raw(",\"value\":")
            writer.double(transition.value)
        case .summary(let summary):
            writer.raw("{\"type\":\"summary\",\"rule\":")
            writer.string(summary.rule)
            writer.raw(",\"group\":")
            writer.string(summary.group)
            writer.raw(",\"file\":")
            writer.string(summary.file)
            for (key, value) in [("transitions", summary.transitions), ("fired", summary.fired),
                                 ("resolved", summary.resolved), ("flaps", summary.flaps), ("errors", summary.errors)] {
                writer.raw(",")
                writer.key(key)
                writer.int(Int64(value))
            }
        case .done(let totals):
            writer.raw("{\"type\":\"done\",\"from\":")
            Self.time(totals.from, to: &writer)
            writer.raw(",\"to\":")
            Self.time(totals.to, to: &writer)
            writer.raw(",\"warmup_from\":")
            Self.time(totals.warmupFrom, to: &writer)
            for (key, value) in [("records", totals.records), ("invalid_records", totals.invalidRecords),
                                 ("samples", totals.samples), ("evaluations", totals.evaluation.evaluations),
                                 ("precomputed", totals.evaluation.precomputed),
                                 ("transitions", totals.evaluation.transitions), ("republished", totals.republished)] {
                writer.raw(",")
                writer.key(key)
                writer.int(Int64(value))
            }
        case .error(let message):
            writer.raw("{\"type\":\"error\",\"error\":")
            writer.string(message)
        }
        writer.raw("}\n")
        return writer.bytes
    }

    /// RFC 3339 in UTC with milliseconds only when there are any (`2026-11-21T13:07:00Z`),
    /// as evaluation times are whole milliseconds and usually whole seconds.
    static func time(_ milliseconds: Int64, to writer: inout JSONWriter) {
        writer.raw(UInt8(ascii: "\""))
        writer.rawBytes(Array(rfc3339(milliseconds).utf8))
        writer.raw(UInt8(ascii: "\""))
    }

    public static func rfc3339(_ milliseconds: Int64) -> String {
        let full = Timestamp(nanosecondsSinceEpoch: milliseconds &* 1_000_000).rfc3339  // …:SS.nnnnnnnnnZ
        let fraction = full.suffix(10).prefix(9)
        let base = full.dropLast(11)
        if fraction.allSatisfy({ $0 == "0" }) { return base + "Z" }
        return base + "." + fraction.prefix(3) + "Z"
    }
}
