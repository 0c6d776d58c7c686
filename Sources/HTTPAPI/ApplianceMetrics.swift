import Alerting
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

/// The metric processor's and metric store's counters in Prometheus text format.
public struct MetricIngestMetrics: MetricsExposition {
    public let processor: MetricProcessor

    public init(processor: MetricProcessor) { self.processor = processor }

    public func appendMetrics(to text: inout String) {
        let counters = processor.statistics
        let rows: [(String, String, Int)] = [
            ("sluice_metrics_records_consumed_total", "Records read from the metrics topic.", counters.recordsConsumed.load(ordering: .relaxed)),
            ("sluice_metrics_records_invalid_total", "Metric records that are not a metric batch (skipped and logged).", counters.recordsInvalid.load(ordering: .relaxed)),
            ("sluice_metrics_records_missed_total", "Metric records removed by commit-log retention before they were indexed.", counters.recordsMissed.load(ordering: .relaxed)),
            ("sluice_metrics_samples_appended_total", "Samples the metric store accepted.", counters.samplesAppended.load(ordering: .relaxed)),
            ("sluice_metrics_samples_duplicate_total", "Samples skipped because the store held them already.", counters.samplesDuplicate.load(ordering: .relaxed)),
            ("sluice_metrics_samples_out_of_order_total", "Samples older than their series' newest, refused.", counters.samplesOutOfOrder.load(ordering: .relaxed)),
            ("sluice_metrics_samples_rejected_total", "Samples refused as invalid (bad name or labels).", counters.samplesRejected.load(ordering: .relaxed)),
            ("sluice_metrics_stale_markers_total", "Stale markers written for series a host stopped sending.", counters.staleMarkers.load(ordering: .relaxed)),
        ]
        for (name, help, value) in rows {
            text += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
        }
        text += "# HELP sluice_metrics_consumer_lag_records Records of the metrics topic not yet indexed.\n"
        text += "# TYPE sluice_metrics_consumer_lag_records gauge\n"
        for (partition, lag) in processor.lag() {
            text += "sluice_metrics_consumer_lag_records{topic=\"\(partition.topic)\",partition=\"\(partition.partition)\"} \(lag)\n"
        }
        let store = processor.store.statistics
        let gauges: [(String, String, Int)] = [
            ("sluice_metrics_store_series", "Series in the metric store's index.", store.series),
            ("sluice_metrics_store_head_samples", "Samples in the in-memory head, not yet in a block.", store.headSamples),
            ("sluice_metrics_store_blocks", "Block files of the metric store.", store.blocks),
            ("sluice_metrics_store_bytes_on_disk", "Bytes of the metric store's block files.", store.bytesOnDisk),
            ("sluice_metrics_store_samples_on_disk", "Samples held in block files.", store.samplesOnDisk),
        ]
        for (name, help, value) in gauges {
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(value)\n"
        }
    }
}

/// Alert states and notification deliveries in Prometheus text format.
public struct AlertingMetrics: MetricsExposition {
    public let rules: RuleManager
    public let notifiers: AlertNotifiers

    public init(rules: RuleManager, notifiers: AlertNotifiers) {
        self.rules = rules
        self.notifiers = notifiers
    }

    public func appendMetrics(to text: inout String) {
        let alerts = rules.activeAlerts()
        text += "# HELP sluice_alerts Active alerts by state.\n# TYPE sluice_alerts gauge\n"
        text += "sluice_alerts{state=\"pending\"} \(alerts.count { $0.alert.state == .pending })\n"
        text += "sluice_alerts{state=\"firing\"} \(alerts.count { $0.alert.state == .firing })\n"
        let rows: [(String, String, (ReceiverDelivery) -> Int)] = [
            ("sluice_notifications_sent_total", "Notifications a receiver accepted.", { $0.deliveredCount.load(ordering: .relaxed) }),
            ("sluice_notifications_failed_attempts_total", "Notification attempts that failed (retried with backoff).", { $0.failedAttemptCount.load(ordering: .relaxed) }),
            ("sluice_notifications_dead_letters_total", "Notifications given up and written as dead letters.", { $0.deadLetterCount.load(ordering: .relaxed) }),
            ("sluice_notifications_queued", "Notifications waiting for their receiver.", { $0.pendingCount }),
        ]
        for (name, help, read) in rows {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(name.hasSuffix("_total") ? "counter" : "gauge")\n"
            for delivery in notifiers.deliveries {
                text += "\(name){receiver=\"\(Self.escaped(delivery.name))\"} \(read(delivery))\n"
            }
        }
    }

    static func escaped(_ value: String) -> String {
        var out = ""
        for character in value {
            if character == "\\" || character == "\"" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
