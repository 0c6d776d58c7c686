import SluiceModel
import Synchronization

/// The agent's own counters. They go out with the host metrics (as `sluice_agent_*`
/// samples) so that the appliance can chart agents and alert on data gaps.
public final class AgentCounters: Sendable {
    public enum Counter: Int, CaseIterable, Sendable {
        case eventsSent, bytesSent, sendFailures, dataGaps, dataGapBytes, filesOpened, filesReleased
        case linesSplit, journalEntries, metricBatchesDropped, checkpointWrites

        public var metricName: String {
            switch self {
            case .eventsSent: "sluice_agent_events_sent_total"
            case .bytesSent: "sluice_agent_bytes_sent_total"
            case .sendFailures: "sluice_agent_send_failures_total"
            case .dataGaps: "sluice_agent_data_gaps_total"
            case .dataGapBytes: "sluice_agent_data_gap_bytes_total"
            case .filesOpened: "sluice_agent_files_opened_total"
            case .filesReleased: "sluice_agent_files_released_total"
            case .linesSplit: "sluice_agent_lines_split_total"
            case .journalEntries: "sluice_agent_journal_entries_total"
            case .metricBatchesDropped: "sluice_agent_metric_batches_dropped_total"
            case .checkpointWrites: "sluice_agent_checkpoint_writes_total"
            }
        }
    }

    private let values = Mutex([Int](repeating: 0, count: Counter.allCases.count))

    public init() {}

    public func add(_ counter: Counter, _ amount: Int = 1) {
        values.withLock { $0[counter.rawValue] += amount }
    }

    public func value(_ counter: Counter) -> Int {
        values.withLock { $0[counter.rawValue] }
    }

    public func samples() -> [MetricSample] {
        let snapshot = values.withLock { $0 }
        return Counter.allCases.map { MetricSample(name: $0.metricName, value: Double(snapshot[$0.rawValue])) }
    }
}
