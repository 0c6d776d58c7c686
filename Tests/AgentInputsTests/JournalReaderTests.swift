import AgentInputs
import Foundation
import SluiceModel
import Testing
import TestSupport

/// Reading real journal files (written by systemd-journal-remote) back through libsystemd.
@Suite struct JournalReaderTests {
    @Test func readsEveryEntryWithEveryFieldExactly() throws {
        let folder = TemporaryDirectory()
        var journal = SyntheticJournal(seed: 1)
        let written = journal.entries(3000)
        try JournalWriter.write(written, to: folder.sub("system.journal"))

        let reader = try JournalReader(location: .directory(folder.path), filter: JournalFilter())
        #expect(reader.hasJournal)
        let (read, lastCursor) = try readToEnd(reader, batch: 400)

        #expect(read.count == written.count)
        for (entry, expected) in zip(read, written) {
            #expect(entry.seq == expected.seq)
            #expect(entry.realtime == Timestamp(microsecondsSinceEpoch: expected.realtime))
            #expect(normalized(entry.fields) == normalized(expected.storedFields), "entry \(expected.seq)")
        }
        #expect(Set(read.map(\.cursor)).count == read.count)
        #expect(lastCursor == read.last?.cursor)
        // The long message came back whole, past libsystemd's default 64 KiB threshold.
        #expect(read.contains { ($0["MESSAGE"]?.count ?? 0) == 200_000 })
    }

    @Test(arguments: [
        JournalFilter(units: ["nginx.service"]),
        JournalFilter(units: ["nginx", "cron.service"]),
        JournalFilter(identifiers: ["sshd", "kernel"]),
        JournalFilter(maxPriority: 3),
        JournalFilter(maxPriority: 0),
        JournalFilter(units: ["app", "kafka"], identifiers: ["app"], maxPriority: 5),
        JournalFilter(units: ["no-such.service"]),
    ])
    func filtersLikeABruteForceScan(filter: JournalFilter) throws {
        let folder = TemporaryDirectory()
        var journal = SyntheticJournal(seed: 2)
        let written = journal.entries(2000)
        try JournalWriter.write(written, to: folder.sub("system.journal"))

        let expected = written.filter { entry in
            let units = Set(filter.units.map { $0.contains(".") ? $0 : $0 + ".service" })
            let unitOK = units.isEmpty || entry.values("_SYSTEMD_UNIT").contains { units.contains(String(decoding: $0, as: UTF8.self)) }
            let identifierOK = filter.identifiers.isEmpty
                || entry.values("SYSLOG_IDENTIFIER").contains { filter.identifiers.contains(String(decoding: $0, as: UTF8.self)) }
            let priorityOK = filter.maxPriority.map { max in
                entry.values("PRIORITY").contains { Int(String(decoding: $0, as: UTF8.self)).map { $0 <= max } ?? false }
            } ?? true
            return unitOK && identifierOK && priorityOK
        }.map(\.seq)

        let reader = try JournalReader(location: .directory(folder.path), filter: filter)
        let (read, lastCursor) = try readToEnd(reader, batch: 333)
        #expect(read.compactMap(\.seq) == expected)
        #expect(read.allSatisfy { filter.matches($0.fields) })

        // The cursor reached the journal's last entry even when that entry did not match.
        let all = try readToEnd(JournalReader(location: .directory(folder.path), filter: JournalFilter()))
        #expect(lastCursor == all.lastCursor)
    }

    @Test func readsListedFilesMergedInTimeOrder() throws {
        let folder = TemporaryDirectory()
        // Two boots whose entries interleave in wall-clock time.
        var first = SyntheticJournal(seed: 3, realtime: 1_750_000_000_000_000, firstSeq: 0)
        var second = SyntheticJournal(seed: 4, realtime: 1_750_000_000_000_500, firstSeq: 10_000)
        let a = first.entries(300)
        let b = second.entries(300)
        try JournalWriter.write(a, to: folder.sub("a.journal"))
        try JournalWriter.write(b, to: folder.sub("b.journal"))

        let reader = try JournalReader(location: .files([folder.sub("a.journal"), folder.sub("b.journal")]), filter: JournalFilter())
        #expect(reader.hasJournal)
        let read = try readToEnd(reader).entries
        let expected = (a + b).sorted { $0.realtime < $1.realtime }.map(\.seq)
        #expect(read.compactMap(\.seq) == expected)
    }

    @Test func aFolderWithoutJournalOpensEmptyAndPicksUpAJournalThatAppears() throws {
        let folder = TemporaryDirectory()
        let reader = try JournalReader(location: .directory(folder.path), filter: JournalFilter())
        #expect(!reader.hasJournal)
        let batch = try reader.next(maxEntries: 100)
        #expect(batch.entries.isEmpty && batch.examined == 0 && batch.reachedEnd && batch.lastCursor == nil)
        #expect(try reader.wait(timeoutMicroseconds: 10_000) == .none)

        var journal = SyntheticJournal(seed: 5)
        let written = journal.entries(50)
        try JournalWriter.write(written, to: folder.sub("system.journal"))
        #expect(try waitForChange(reader) != .none)
        #expect(reader.hasJournal)
        #expect(try readToEnd(reader).entries.compactMap(\.seq) == written.map(\.seq))
    }

    @Test func theSystemJournalOpensEvenWhereThereIsNone() throws {
        // On these machines PID 1 is not systemd and no journal exists; where one does, it
        // must simply open.
        let reader = try JournalReader(location: .system, filter: JournalFilter())
        let present = ["/run/log/journal", "/var/log/journal"].contains { FileManager.default.fileExists(atPath: $0) }
        if !present {
            #expect(!reader.hasJournal)
            let batch = try reader.next(maxEntries: 10)
            #expect(batch.entries.isEmpty && batch.reachedEnd)
        }
    }

    @Test func openingWhatDoesNotExistThrowsSayingWhat() throws {
        let folder = TemporaryDirectory()
        let missing = folder.sub("nowhere")
        let directoryError = #expect(throws: InputError.self) {
            try JournalReader(location: .directory(missing), filter: JournalFilter())
        }
        #expect(directoryError?.description.contains(missing) == true)
        let fileError = #expect(throws: InputError.self) {
            try JournalReader(location: .files([missing + ".journal"]), filter: JournalFilter())
        }
        #expect(fileError?.description.contains(missing) == true)
        #expect(throws: InputError.self) {
            try JournalReader(location: .directory(folder.path), filter: JournalFilter(maxPriority: 8))
        }
    }
}
