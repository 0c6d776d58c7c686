import CJemalloc

/// The process's allocator, jemalloc (linked in; see Package.swift for why).
enum Allocator {
    /// jemalloc's version, e.g. "5.3.0-0-g54eaed1d8b56…"; nil if another allocator serves
    /// malloc. Logged at start, which also keeps the linker from dropping the library.
    static var jemallocVersion: String? {
        var version: UnsafePointer<CChar>?
        var length = MemoryLayout<UnsafePointer<CChar>?>.size
        guard mallctl("version", &version, &length, nil, 0) == 0, let version else { return nil }
        return String(cString: version)
    }
}
