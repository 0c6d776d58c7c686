#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zeros to append from: calloc'd memory maps the kernel's shared zero page, so it costs no
/// resident memory, and copying from it is a fast memcpy even in debug builds (unlike
/// appending `repeatElement(0, …)` one element at a time).
nonisolated(unsafe) private let zeroSource = UnsafeBufferPointer(
    start: calloc(zeroSourceCount, 1)!.assumingMemoryBound(to: UInt8.self), count: zeroSourceCount)
private let zeroSourceCount = 1 << 20

extension Array where Element == UInt8 {
    /// Lets `body` write up to `count` bytes straight into the array's storage and keeps only
    /// the bytes it reports written, so codecs decode in place instead of into a scratch copy.
    ///
    /// When capacity runs out it grows geometrically, but by no more than `growthCap` bytes
    /// past the current count (at least `count`): that is how decompression stays within its limit.
    @discardableResult
    mutating func appendBytes(
        upTo count: Int, growthCap: Int = .max,
        _ body: (UnsafeMutableRawBufferPointer) throws -> Int
    ) rethrows -> Int {
        let start = self.count
        if capacity - start < count {
            reserveCapacity(start + Swift.max(count, Swift.min(Swift.max(start, 4096), growthCap)))
        }
        var missing = count
        while missing > 0 {
            let piece = Swift.min(missing, zeroSourceCount)
            append(contentsOf: UnsafeBufferPointer(rebasing: zeroSource[..<piece]))
            missing -= piece
        }
        var written = 0
        defer { removeLast(count - written) }
        written = try withUnsafeMutableBytes { all in
            try body(UnsafeMutableRawBufferPointer(rebasing: all[start...]))
        }
        precondition(written >= 0 && written <= count, "codec reported writing outside its window")
        return written
    }
}
