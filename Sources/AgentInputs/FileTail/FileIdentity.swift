import Glibc

/// Which file a tailer is reading, independent of its name: the device and inode, plus a
/// fingerprint of its first bytes so that an inode reused by a new file (after a
/// delete) is not mistaken for the old one.
public struct FileIdentity: Sendable, Hashable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    public init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    /// `dev:inode`, the key under which checkpoints store a file.
    public var description: String { "\(device):\(inode)" }

    public init?(key: String) {
        let parts = key.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        self.init(device: device, inode: inode)
    }
}

/// A hash (FNV-1a, 64 bits) of a file's first `length` bytes, `length` ≤ `FileFingerprint.maximumLength`.
/// A file shorter than the maximum gets a shorter fingerprint that is extended as it grows.
public struct FileFingerprint: Sendable, Hashable {
    public static let maximumLength = 1024

    public var length: Int
    public var hash: UInt64

    public init(length: Int, hash: UInt64) {
        self.length = length
        self.hash = hash
    }

    public static let empty = FileFingerprint(length: 0, hash: fnvOffsetBasis)

    static let fnvOffsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    public init(bytes: UnsafeRawBufferPointer) {
        var hash = Self.fnvOffsetBasis
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        self.init(length: bytes.count, hash: hash)
    }

    public var isComplete: Bool { length >= Self.maximumLength }

    /// The fingerprint of the first `length` bytes of the open file (fewer if it is shorter).
    public static func read(fd: Int32, length: Int = maximumLength) -> FileFingerprint? {
        var buffer = [UInt8](repeating: 0, count: length)
        var filled = 0
        while filled < length {
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, length - filled, off_t(filled)) }
            if got < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if got == 0 { break }
            filled += got
        }
        return buffer.withUnsafeBytes { FileFingerprint(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<filled])) }
    }

    /// Whether the open file still starts with the bytes this fingerprint was taken of.
    public func matches(fd: Int32) -> Bool {
        guard length > 0 else { return true }
        guard let current = Self.read(fd: fd, length: length) else { return false }
        return current == self
    }
}
