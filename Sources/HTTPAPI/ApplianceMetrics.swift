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
