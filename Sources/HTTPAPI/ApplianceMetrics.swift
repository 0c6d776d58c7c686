import LogStore
import Processors

/// The log processor's counters and consumer lag in Prometheus text format.
public struct ProcessorMetrics: MetricsExposition {
    public let processor: LogProcessor

    public init(processor: LogProcessor) { self.processor = processor }

    public func appendMetrics(to text: inout String) {
        let statistics = processor.statistics
        let counters: [(String, String, Int)] = [
            ("sluice_pipeline_records_consumed_total", "Records read from consumed topics.", statistics.recordsConsumed.load(ordering: .relaxed)),
            ("sluice_pipeline_events_processed_total", "Events that reached the end of a pipeline.", statistics.eventsProcessed.load(ordering: .relaxed)),
            ("sluice_pipeline_parse_failures_total", "Events kept with parse_error because no parser matched.", statistics.parseFailures.load(ordering: .relaxed)),
            ("sluice_pipeline_events_dropped_total", "Events dropped by filter steps.", statistics.eventsDropped.load(ordering: .relaxed)),
            ("sluice_pipeline_events_routed_total", "Events sent to other topics by route steps.", statistics.eventsRouted.load(ordering: .relaxed)),
            ("sluice_pipeline_records_unreadable_total", "Records without a value or in undecodable batches.", statistics.recordsUnreadable.load(ordering: .relaxed)),
            ("sluice_pipeline_records_missed_total", "Records removed by commit-log retention before processing.", statistics.recordsMissed.load(ordering: .relaxed)),
            ("sluice_store_entries_indexed_total", "Log entries the store accepted as new.", statistics.entriesIndexed.load(ordering: .relaxed)),
            ("sluice_store_entries_duplicate_total", "Log entries skipped because the store held them already.", statistics.entriesDuplicate.load(ordering: .relaxed)),
        ]
        for (name, help, value) in counters {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        text += "# HELP sluice_pipeline_consumer_lag_records Records in a consumed partition not yet processed.\n"
        text += "# TYPE sluice_pipeline_consumer_lag_records gauge\n"
        for (partition, lag) in processor.lag() {
            text += "sluice_pipeline_consumer_lag_records{topic=\"\(partition.topic)\",partition=\"\(partition.partition)\"} \(lag)\n"
        }
    }
}

/// The log store's state and work in Prometheus text format.
public struct LogStoreMetrics: MetricsExposition {
    public let store: LogStore

    public init(store: LogStore) { self.store = store }

    public func appendMetrics(to text: inout String) {
        let statistics = store.statistics
        let gauges: [(String, String, Int)] = [
            ("sluice_store_head_entries", "Entries in the store's in-memory head (not yet in a part).", statistics.headEntries),
            ("sluice_store_head_bytes", "Raw bytes in the in-memory head.", statistics.headBytes),
            ("sluice_store_parts", "Part files on disk.", statistics.parts),
            ("sluice_store_bytes_on_disk", "Bytes of the store's part files.", statistics.bytesOnDisk),
            ("sluice_store_entries_stored", "Entries held in part files.", statistics.entriesStored),
            ("sluice_store_raw_bytes_stored", "Raw line bytes held in part files.", statistics.rawBytesStored),
        ]
        for (name, help, value) in gauges {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(value)\n"
        }
        text += "# HELP sluice_store_blocks_total Blocks considered by queries, by outcome.\n# TYPE sluice_store_blocks_total counter\n"
        text += "sluice_store_blocks_total{outcome=\"scanned\"} \(statistics.blocksScanned)\n"
        text += "sluice_store_blocks_total{outcome=\"skipped_time\"} \(statistics.blocksSkippedByTime)\n"
        text += "sluice_store_blocks_total{outcome=\"skipped_stream\"} \(statistics.blocksSkippedByStream)\n"
        text += "sluice_store_blocks_total{outcome=\"skipped_bloom\"} \(statistics.blocksSkippedByBloom)\n"
    }
}
