import AgentInputs
import Foundation
import Testing
import TestSupport

/// Checkpoints: the cursor a batch reports, and a reader reopened after it.
@Suite struct JournalCursorTests {
    @Test func aReopenedReaderContinuesAfterTheCheckpointWithNothingMissingOrRepeated() throws {
        let folder = TemporaryDirectory()
        var journal = SyntheticJournal(seed: 10)
        let written = journal.entries(3000)
        try JournalWriter.write(written, to: folder.sub("system.journal"))
        let filter = JournalFilter(units: ["cron"], maxPriority: 6)
        let expected = try readToEnd(JournalReader(location: .directory(folder.path), filter: filter)).entries.compactMap(\.seq)
        #expect(expected.count > 100)

        // Stop after a few batches, at various points, and resume from the checkpoint.
        for batchesBeforeRestart in [1, 4, 9, 15] {
            let first = try JournalReader(location: .directory(folder.path), filter: filter)
            var seen: [Int] = []
            var checkpoint: String?
            for _ in 0..<batchesBeforeRestart {
                let batch = try first.next(maxEntries: 97)
                #expect(batch.examined == 97)
                #expect(batch.lastCursor != nil && batch.lastCursor != checkpoint)
                seen += batch.entries.compactMap(\.seq)
                checkpoint = batch.lastCursor
            }
            let second = try JournalReader(location: .directory(folder.path), filter: filter)
            #expect(try second.seek(afterCursor: #require(checkpoint)))
            seen += try readToEnd(second).entries.compactMap(\.seq)
            #expect(seen == expected, "restart after \(batchesBeforeRestart) batches")
        }
    }

    @Test func theCursorAdvancesThroughEntriesTheFilterRejects() throws {
        let folder = TemporaryDirectory()
        var journal = SyntheticJournal(seed: 11)
        let written = journal.entries(2000)
        try JournalWriter.write(written, to: folder.sub("system.journal"))
        let all = try readToEnd(JournalReader(location: .directory(folder.path), filter: JournalFilter()), batch: 500).entries

        let reader = try JournalReader(location: .directory(folder.path), filter: JournalFilter(identifiers: ["nobody"]))
        var cursors: [String] = []
        while true {
            let batch = try reader.next(maxEntries: 500)
            #expect(batch.entries.isEmpty)
            if let cursor = batch.lastCursor { cursors.append(cursor) }
            if batch.reachedEnd { break }
        }
        // Each batch ends on its 500th entry; the call that finds the end examined none.
        #expect(cursors == [all[499].cursor, all[999].cursor, all[1499].cursor, all[1999].cursor])

        // After a restart nothing is rescanned: the reader is already at the end.
        let restarted = try JournalReader(location: .directory(folder.path), filter: JournalFilter(identifiers: ["nobody"]))
        #expect(try restarted.seek(afterCursor: all[1999].cursor))
        let batch = try restarted.next(maxEntries: 500)
        #expect(batch.examined == 0 && batch.reachedEnd)
    }

    @Test func seekingAfterEveryKindOfPositionReturnsTheNextEntry() throws {
        let folder = TemporaryDirectory()
        var journal = SyntheticJournal(seed: 12)
        try JournalWriter.write(journal.entries(400), to: folder.sub("a.journal"))
        journal.reboot()
        try JournalWriter.write(journal.entries(400), to: folder.sub("b.journal"))
        let all = try readToEnd(JournalReader(location: .directory(folder.path), filter: JournalFilter())).entries
        #expect(all.compactMap(\.seq) == Array(0..<800))

        let reader = try JournalReader(location: .directory(folder.path), filter: JournalFilter())
        for index in [0, 1, 233, 398, 399, 400, 401, 798] {
            #expect(try reader.seek(afterCursor: all[index].cursor))
            #expect(try reader.next(maxEntries: 1).entries.first?.seq == index + 1)
        }
        #expect(try reader.seek(afterCursor: all[799].cursor))
        #expect(try reader.next(maxEntries: 1).reachedEnd)
    }

    @Test func aCursorWhoseEntryIsGoneReportsItAndLeavesTheReaderAtTheNextEntry() throws {
        let folder = TemporaryDirectory()
        var journal = SyntheticJournal(seed: 13)
        try JournalWriter.write(journal.entries(50), to: folder.sub("old.journal"))
        journal.reboot()
        try JournalWriter.write(journal.entries(50), to: folder.sub("new.journal"))
        let checkpoint = try JournalReader(location: .directory(folder.path), filter: JournalFilter())
            .next(maxEntries: 31).lastCursor

        // Vacuumed: the checkpoint's file is gone.
        try FileManager.default.removeItem(atPath: folder.sub("old.journal"))
        let reader = try JournalReader(location: .directory(folder.path), filter: JournalFilter())
        #expect(try reader.seek(afterCursor: #require(checkpoint)) == false)
        #expect(try readToEnd(reader).entries.compactMap(\.seq) == Array(50..<100))
    }

    @Test func aMalformedCursorThrows() throws {
        let folder = TemporaryDirectory()
        var journal = SyntheticJournal(seed: 14)
        try JournalWriter.write(journal.entries(5), to: folder.sub("system.journal"))
        let reader = try JournalReader(location: .directory(folder.path), filter: JournalFilter())
        #expect(throws: InputError.self) { try reader.seek(afterCursor: "not a cursor") }
    }
}
