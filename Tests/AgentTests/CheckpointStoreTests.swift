@testable import Agent
import AgentInputs
import Foundation
import TestSupport
import Testing

@Suite struct CheckpointStoreTests {
    let identity = FileIdentity(device: 2049, inode: 77)

    private func position(_ offset: Int64) -> CheckpointValue {
        .file(FilePosition(path: "/var/log/a\tb.log", offset: offset, fingerprint: FileFingerprint(length: 10, hash: 99), size: 500))
    }

    @Test func positionAdvancesOnlyOverTheAcknowledgedPrefix() throws {
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.path)
        let key = CheckpointKey.file(input: "app", identity: identity)
        let first = store.register(key, value: position(100), bytes: 10, events: 1)
        let second = store.register(key, value: position(200), bytes: 20, events: 2)
        let third = store.register(key, value: position(300), bytes: 30, events: 3)

        store.acknowledge(third, bytes: 30, events: 3)
        store.acknowledge(second, bytes: 20, events: 2)
        #expect(store.saved(key) == nil)
        #expect(try store.writeIfChanged() == (0, 0))

        store.acknowledge(first, bytes: 10, events: 1)
        #expect(store.saved(key) == position(300))
        let released = try store.writeIfChanged()
        #expect(released.bytes == 60 && released.events == 6)

        let reopened = try CheckpointStore(directory: directory.path)
        #expect(reopened.saved(key) == position(300))
    }

    @Test func journalCursorAdvancesWithoutRecordsAfterInFlightBatches() throws {
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.path)
        let key = CheckpointKey.journal(input: "journal")
        store.advance(key, to: .journal(cursor: "s=1"))
        #expect(store.saved(key) == .journal(cursor: "s=1"))
        let ticket = store.register(key, value: .journal(cursor: "s=2"), bytes: 5, events: 1)
        store.advance(key, to: .journal(cursor: "s=3"))
        #expect(store.saved(key) == .journal(cursor: "s=1"))
        store.acknowledge(ticket, bytes: 5, events: 1)
        #expect(store.saved(key) == .journal(cursor: "s=3"))
    }

    @Test func finishedStreamsAreDroppedOnceAcknowledged() throws {
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.path)
        let key = CheckpointKey.file(input: "app", identity: identity)
        let ticket = store.register(key, value: position(10), bytes: 1, events: 1)
        store.finish(key)
        store.acknowledge(ticket, bytes: 1, events: 1)
        #expect(store.saved(key) == nil)
        _ = try store.writeIfChanged()
        #expect(try CheckpointStore(directory: directory.path).saved(key) == nil)
    }

    @Test func damagedFilesAreRefusedNotIgnored() throws {
        let directory = TemporaryDirectory()
        let store = try CheckpointStore(directory: directory.path)
        store.advance(.journal(input: "j"), to: .journal(cursor: "a\nb\\c"))
        _ = try store.writeIfChanged()
        #expect(try CheckpointStore(directory: directory.path).saved(.journal(input: "j")) == .journal(cursor: "a\nb\\c"))

        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        try String(text.dropLast(8)).write(toFile: store.path, atomically: false, encoding: .utf8)
        #expect(throws: AgentConfigError.self) { try CheckpointStore(directory: directory.path) }
    }
}

@Suite struct DeliveryWindowTests {
    @Test func waitsForRoomAndAdmitsInOrder() async {
        let window = DeliveryWindow(maxBytes: 100, maxEvents: 10)
        #expect(await window.acquire(bytes: 80, events: 1))
        let waiter = Task { await window.acquire(bytes: 50, events: 1) }
        try? await Task.sleep(nanoseconds: 50_000_000)
        #expect(window.used.bytes == 80)
        window.release(bytes: 80, events: 1)
        #expect(await waiter.value)
        #expect(window.used.bytes == 50)
    }

    @Test func anOversizedRequestGetsInAlone() async {
        let window = DeliveryWindow(maxBytes: 100, maxEvents: 10)
        #expect(await window.acquire(bytes: 1000, events: 1))
        #expect(window.used.bytes == 1000)
    }

    @Test func cancellationEndsTheWait() async {
        let window = DeliveryWindow(maxBytes: 100, maxEvents: 10)
        _ = await window.acquire(bytes: 100, events: 1)
        let waiter = Task { await window.acquire(bytes: 10, events: 1) }
        try? await Task.sleep(nanoseconds: 20_000_000)
        waiter.cancel()
        #expect(await waiter.value == false)
        window.release(bytes: 100, events: 1)
        #expect(window.used.bytes == 0)
    }
}

@Suite struct DiskQueueTests {
    @Test func keepsOrderAcrossReopenAndAcknowledgement() throws {
        let directory = TemporaryDirectory()
        do {
            let queue = try DiskQueue(directory: directory.path, maxBytes: 1 << 20, segmentBytes: 4096)
            for index in 0..<100 { try queue.append(Array("batch \(index)".utf8)) }
            let first = queue.peek(max: 10)
            #expect(first.map { String(decoding: $0.payload, as: UTF8.self) } == (0..<10).map { "batch \($0)" })
            try queue.acknowledge(through: first.last!.sequence)
        }
        let queue = try DiskQueue(directory: directory.path, maxBytes: 1 << 20, segmentBytes: 4096)
        #expect(queue.count == 90)
        #expect(queue.peek(max: 1).first.map { String(decoding: $0.payload, as: UTF8.self) } == "batch 10")
    }

    @Test func aTornTailIsCutAndTheRestKept() throws {
        let directory = TemporaryDirectory()
        do {
            let queue = try DiskQueue(directory: directory.path, maxBytes: 1 << 20)
            for index in 0..<5 { try queue.append(Array("batch \(index)".utf8)) }
        }
        let segment = try FileManager.default.contentsOfDirectory(atPath: directory.path).first { $0.hasSuffix(".seg") }!
        let handle = FileHandle(forWritingAtPath: directory.sub(segment))!
        handle.seekToEndOfFile()
        handle.write(Data([9, 0, 0, 0, 1, 2, 3]))
        handle.closeFile()
        let queue = try DiskQueue(directory: directory.path, maxBytes: 1 << 20)
        #expect(queue.count == 5)
        try queue.append(Array("after".utf8))
        #expect(queue.peek(max: 10).map { String(decoding: $0.payload, as: UTF8.self) }.last == "after")
    }

    @Test func boundedByDroppingTheOldestAndSayingSo() throws {
        let directory = TemporaryDirectory()
        let queue = try DiskQueue(directory: directory.path, maxBytes: 64 << 10, segmentBytes: 16 << 10)
        var dropped = 0
        let payload = [UInt8](repeating: 7, count: 1000)
        for _ in 0..<500 { dropped += try queue.append(payload) }
        #expect(dropped > 0)
        #expect(queue.bytesOnDisk <= 64 << 10)
        #expect(queue.count + dropped == 500)
    }
}
