/// /proc/meminfo: `Name:  value [kB]` lines, kept in file order and by their kernel
/// names, because the set of fields differs between kernels and configs.
public struct MemInfo: ProcFile, Equatable {
    public static let relativePath = "meminfo"

    public struct Entry: Sendable, Equatable {
        /// The kernel's name, e.g. `MemTotal` or `Active(anon)`.
        public var name: String
        public var value: UInt64
        /// True for `kB` fields (the kernel's kB is 1024 bytes); false for counts such
        /// as `HugePages_Total`.
        public var isKilobytes: Bool

        public init(name: String, value: UInt64, isKilobytes: Bool) {
            self.name = name
            self.value = value
            self.isKilobytes = isKilobytes
        }

        /// The value in bytes for kB fields, nil for counts.
        public var bytes: UInt64? { isKilobytes ? value &* 1024 : nil }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public subscript(name: String) -> Entry? { entries.first { $0.name == name } }

    public static func parse(_ bytes: [UInt8], path: String) throws(ProcFileError) -> MemInfo {
        var entries: [Entry] = []
        for (number, text) in ProcText.lines(bytes) {
            func error(_ reason: String) -> ProcFileError { ProcFileError(path: path, line: number, reason: reason) }
            if ProcText.fields(text).isEmpty { continue }
            guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { throw error("no ':' after the field name") }
            let name = ProcText.trimmed(text[..<colon])
            guard !name.isEmpty else { throw error("empty field name") }
            let rest = ProcText.fields(text[(colon + 1)...])
            guard let first = rest.first, let value = ProcText.uint64(first) else {
                throw error("\(ProcText.string(name)) has no numeric value")
            }
            let isKilobytes: Bool
            switch rest.count {
            case 1: isKilobytes = false
            case 2 where rest[1].elementsEqual("kB".utf8): isKilobytes = true
            default: throw error("\(ProcText.string(name)) has an unknown unit \(ProcText.string(rest[1]))")
            }
            entries.append(Entry(name: ProcText.string(name), value: value, isKilobytes: isKilobytes))
        }
        guard !entries.isEmpty else { throw ProcFileError(path: path, line: 0, reason: "no fields") }
        return MemInfo(entries: entries)
    }
}
