import AgentInputs
import Foundation
import Testing
import TestSupport

/// Following a live journal: appends, rotation, starting at the tail.
@Suite struct JournalFollowTests {
    @Test func followsAppendsAndRotationWithoutLoss() throws {
        let folder = TemporaryDirectory()
        var journal = SyntheticJournal(seed: 20)
        try JournalWriter.write(journal.entries(200), to: folder.sub("system.journal"))
        let reader = try JournalReader(location: .directory(folder.path), filter: JournalFilter())
        var seen = try reader.next(maxEntries: 150).entries.compactMap(\.seq)

        // Appended to the open file.
        try JournalWriter.write(journal.entries(50), to: folder.sub("system.journal"))
        #expect(try waitForChange(reader) == .append)
        seen += try readToEnd(reader).entries.compactMap(\.seq)
        #expect(seen == Array(0..<250))

        // Rotated as journald does: the active file is archived under a new name, and a new
        // active file (here: a new boot) takes its place.
        try FileManager.default.moveItem(
            atPath: folder.sub("system.journal"),
            toPath: folder.sub("system@0123456789abcdef0123456789abcdef-0000000000000001-0005f5e100000000.journal"))
        journal.reboot()
        try JournalWriter.write(journal.entries(100), to: folder.sub("system.journal"))
        #expect(try waitForChange(reader) == .invalidate)
        seen += try readToEnd(reader).entries.compactMap(\.seq)
        #expect(seen == Array(0..<350))

        // And once more, the new file in a second step after the reader caught up.
        try FileManager.default.moveItem(
            atPath: folder.sub("system.journal"),
            toPath: folder.sub("system@0123456789abcdef0123456789abcdef-0000000000000002-0005f5e100000001.journal"))
        #expect(try reader.next(maxEntries: 10).entries.isEmpty)
        journal.reboot()
        try JournalWriter.write(journal.entries(30), to: folder.sub("system.journal"))
        #expect(try waitForChange(reader) == .invalidate)
        seen += try readToEnd(reader).entries.compactMap(\.seq)
        #expect(seen == Array(0..<380))
    }

    @Test func seekTailReturnsOnlyEntriesAppendedLater() throws {
        let folder = TemporaryDirectory()
        var journal = SyntheticJournal(seed: 21)
        try JournalWriter.write(journal.entries(100), to: folder.sub("system.journal"))
        let reader = try JournalReader(location: .directory(folder.path), filter: JournalFilter())
        try reader.seekTail()
        let none = try reader.next(maxEntries: 10)
        #expect(none.entries.isEmpty && none.reachedEnd)

        try JournalWriter.write(journal.entries(10), to: folder.sub("system.journal"))
        #expect(try waitForChange(reader) == .append)
        #expect(try readToEnd(reader).entries.compactMap(\.seq) == Array(100..<110))

        // Back to the head: everything again.
        try reader.seekHead()
        #expect(try readToEnd(reader).entries.compactMap(\.seq) == Array(0..<110))
    }

    @Test func seekTailOnAnEmptyFolderReadsTheJournalThatAppears() throws {
        let folder = TemporaryDirectory()
        let reader = try JournalReader(location: .directory(folder.path), filter: JournalFilter())
        try reader.seekTail()
        var journal = SyntheticJournal(seed: 22)
        try JournalWriter.write(journal.entries(20), to: folder.sub("system.journal"))
        #expect(try waitForChange(reader) != .none)
        #expect(try readToEnd(reader).entries.compactMap(\.seq) == Array(0..<20))
    }
}
