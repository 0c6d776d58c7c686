import Glibc
import Synchronization

/// Wakes a file input when something changes in the folders it watches, through inotify
/// on those folders (a folder watch also reports writes to the files in it). A thread
/// blocks in `poll` on the inotify descriptor and raises `signal`; the input also wakes
/// on its own poll interval, which is the fallback where inotify is unavailable (some
/// network and overlay file systems) or its watch limit is reached.
///
/// `takeNeedsRescan()` tells whether a file was created, renamed or deleted since the
/// last call, so the input rescans its globs only then (and on its slower timer).
public final class FileWatcher: Sendable {
    public let signal = AsyncSignal()
    private let inotifyFD: Int32
    /// A pipe whose write end `stop()` writes to, waking the thread's `poll`.
    private let wakeReadFD: Int32
    private let wakeWriteFD: Int32
    private let needsRescan = Atomic<Bool>(true)
    private let watched = Mutex<[String: Int32]>([:])
    private let thread = Mutex<pthread_t?>(nil)

    /// Whether inotify could be set up (false means polling only).
    public var usesInotify: Bool { inotifyFD >= 0 }

    public init() {
        inotifyFD = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) != 0 { ends = [-1, -1] }
        for end in ends where end >= 0 { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        wakeReadFD = ends[0]
        wakeWriteFD = ends[1]
        guard inotifyFD >= 0, wakeReadFD >= 0 else { return }
        let box = Unmanaged.passRetained(self)
        var handle = pthread_t()
        let created = pthread_create(&handle, nil, { context in
            let watcher = Unmanaged<FileWatcher>.fromOpaque(context!).takeRetainedValue()
            watcher.run()
            return nil
        }, box.toOpaque())
        if created == 0 {
            thread.withLock { $0 = handle }
        } else {
            box.release()
        }
    }

    /// Watches `directory` (idempotent). False when it does not exist or no watch is left.
    @discardableResult
    public func watch(directory: String) -> Bool {
        guard inotifyFD >= 0 else { return false }
        if watched.withLock({ $0[directory] }) != nil { return true }
        let mask = UInt32(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)
        let descriptor = inotify_add_watch(inotifyFD, directory, mask)
        guard descriptor >= 0 else { return false }
        watched.withLock { $0[directory] = descriptor }
        return true
    }

    /// True once after any file was created, renamed or deleted in a watched folder.
    public func takeNeedsRescan() -> Bool {
        needsRescan.exchange(false, ordering: .acquiringAndReleasing)
    }

    /// Stops the thread and closes the descriptors.
    public func stop() {
        guard let handle = thread.withLock({ thread -> pthread_t? in
            defer { thread = nil }
            return thread
        }) else { return }
        var one: UInt8 = 1
        _ = write(wakeWriteFD, &one, 1)
        pthread_join(handle, nil)
        close(inotifyFD)
        close(wakeReadFD)
        close(wakeWriteFD)
    }

    private func run() {
        var descriptors = [pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: wakeReadFD, events: Int16(POLLIN), revents: 0)]
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 || descriptors[1].revents != 0 { return }
            var sawChange = false
            var sawDirectoryChange = false
            while true {
                let length = read(inotifyFD, buffer, bufferSize)
                if length <= 0 { break }
                var offset = 0
                while offset + MemoryLayout<inotify_event>.size <= length {
                    let event = buffer.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    sawChange = true
                    if event.mask & UInt32(IN_MODIFY | IN_CLOSE_WRITE) == 0 { sawDirectoryChange = true }
                    if event.mask & UInt32(IN_Q_OVERFLOW) != 0 { sawDirectoryChange = true }
                    offset += MemoryLayout<inotify_event>.size + Int(event.len)
                }
            }
            if sawDirectoryChange { needsRescan.store(true, ordering: .releasing) }
            if sawChange { signal.raise() }
        }
    }
}
