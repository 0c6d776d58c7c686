import CCRC32C

/// CRC-32C (Castagnoli), the checksum of RecordBatch v2.
public enum CRC32C {
    /// The CRC-32C of `bytes`; pass a previous result as `seed` to continue over more bytes.
    @inlinable
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return seed }
        return sluice_crc32c(seed, base, bytes.count)
    }

    /// The CRC-32C of `bytes`.
    public static func checksum(_ bytes: some ContiguousBytes, seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, seed: seed) }
    }

    /// The portable table implementation, to compare against the hardware path.
    public static func portableChecksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return seed }
        return sluice_crc32c_portable(seed, base, bytes.count)
    }

    /// Whether `checksum` runs on the CPU's crc32 instruction.
    public static var usesHardware: Bool { sluice_crc32c_uses_hardware() != 0 }
}

/// Byte containers whose storage is contiguous (`[UInt8]`, `ArraySlice<UInt8>`, buffers).
public protocol ContiguousBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
extension UnsafeRawBufferPointer: ContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(self)
    }
}
