import AgentInputs
import Testing

/// The filter's rules, without a journal.
@Suite struct JournalFilterTests {
    private func fields(_ pairs: [(String, String)]) -> [(name: String, value: [UInt8])] {
        pairs.map { (name: $0.0, value: Array($0.1.utf8)) }
    }

    @Test func unitNamesWithoutATypeMeanTheService() {
        #expect(JournalFilter.unitName("nginx") == "nginx.service")
        #expect(JournalFilter.unitName("nginx.service") == "nginx.service")
        #expect(JournalFilter.unitName("logrotate.timer") == "logrotate.timer")
        #expect(JournalFilter.unitName("user@1000.service") == "user@1000.service")
        #expect(JournalFilter.unitName("foo.bar") == "foo.bar.service")
    }

    @Test func groupsCombineWithAndValuesWithOr() {
        let filter = JournalFilter(units: ["nginx", "app.service"], identifiers: ["nginx"], maxPriority: 4)
        #expect(filter.matches(fields([("_SYSTEMD_UNIT", "nginx.service"), ("SYSLOG_IDENTIFIER", "nginx"), ("PRIORITY", "4")])))
        #expect(filter.matches(fields([("_SYSTEMD_UNIT", "app.service"), ("SYSLOG_IDENTIFIER", "nginx"), ("PRIORITY", "0")])))
        #expect(!filter.matches(fields([("_SYSTEMD_UNIT", "app.service"), ("SYSLOG_IDENTIFIER", "app"), ("PRIORITY", "0")])))
        #expect(!filter.matches(fields([("_SYSTEMD_UNIT", "nginx.service"), ("SYSLOG_IDENTIFIER", "nginx"), ("PRIORITY", "5")])))
        #expect(!filter.matches(fields([("_SYSTEMD_UNIT", "nginx.service"), ("SYSLOG_IDENTIFIER", "nginx")])))
        #expect(!filter.matches(fields([("_SYSTEMD_UNIT", "nginx.service"), ("SYSLOG_IDENTIFIER", "nginx"), ("PRIORITY", "err")])))
        #expect(!filter.matches(fields([("UNIT", "nginx.service"), ("SYSLOG_IDENTIFIER", "nginx"), ("PRIORITY", "1")])))
    }

    @Test func anEmptyFilterKeepsEverything() {
        #expect(JournalFilter().isEmpty)
        #expect(JournalFilter().matches([]))
        #expect(JournalFilter().matches(fields([("PRIORITY", "7")])))
    }
}
