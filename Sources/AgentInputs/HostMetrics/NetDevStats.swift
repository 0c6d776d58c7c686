/// /proc/net/dev: two header lines, then `name: 8 receive counters 8 transmit counters`
/// per interface. Counters keep the kernel's column names (errs, drop, colls), which are
/// also node_exporter's metric names.
public struct NetDevStats: ProcFile, Equatable {
    public static let relativePath = "net/dev"

    public struct Interface: Sendable, Equatable {
        public var name: String
        public var receiveBytes: UInt64
        public var receivePackets: UInt64
        public var receiveErrs: UInt64
        public var receiveDrop: UInt64
        public var receiveFifo: UInt64
        public var receiveFrame: UInt64
        public var receiveCompressed: UInt64
        public var receiveMulticast: UInt64
        public var transmitBytes: UInt64
        public var transmitPackets: UInt64
        public var transmitErrs: UInt64
        public var transmitDrop: UInt64
        public var transmitFifo: UInt64
        public var transmitColls: UInt64
        public var transmitCarrier: UInt64
        public var transmitCompressed: UInt64

        /// The 16 counters in the file's column order.
        public init(name: String, counters c: [UInt64]) {
            precondition(c.count == 16, "/proc/net/dev has 16 counters per interface")
            self.name = name
            receiveBytes = c[0]; receivePackets = c[1]; receiveErrs = c[2]; receiveDrop = c[3]
            receiveFifo = c[4]; receiveFrame = c[5]; receiveCompressed = c[6]; receiveMulticast = c[7]
            transmitBytes = c[8]; transmitPackets = c[9]; transmitErrs = c[10]; transmitDrop = c[11]
            transmitFifo = c[12]; transmitColls = c[13]; transmitCarrier = c[14]; transmitCompressed = c[15]
        }

        /// `(direction_column, value)` pairs in column order, e.g. `("receive_bytes", 42)`.
        public var counters: [(name: String, value: UInt64)] {
            [("receive_bytes", receiveBytes), ("receive_packets", receivePackets),
             ("receive_errs", receiveErrs), ("receive_drop", receiveDrop),
             ("receive_fifo", receiveFifo), ("receive_frame", receiveFrame),
             ("receive_compressed", receiveCompressed), ("receive_multicast", receiveMulticast),
             ("transmit_bytes", transmitBytes), ("transmit_packets", transmitPackets),
             ("transmit_errs", transmitErrs), ("transmit_drop", transmitDrop),
             ("transmit_fifo", transmitFifo), ("transmit_colls", transmitColls),
             ("transmit_carrier", transmitCarrier), ("transmit_compressed", transmitCompressed)]
        }
    }

    public var interfaces: [Interface]

    public init(interfaces: [Interface]) { self.interfaces = interfaces }

    public static func parse(_ bytes: [UInt8], path: String) throws(ProcFileError) -> NetDevStats {
        var interfaces: [Interface] = []
        for (number, text) in ProcText.lines(bytes) {
            // The two header lines are the only ones with '|'.
            if text.contains(UInt8(ascii: "|")) || ProcText.fields(text).isEmpty { continue }
            func error(_ reason: String) -> ProcFileError { ProcFileError(path: path, line: number, reason: reason) }
            // Large counters can touch the colon (`eth0:123`); names never contain one.
            guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { throw error("no ':' after the interface name") }
            let name = ProcText.trimmed(text[..<colon])
            guard !name.isEmpty else { throw error("empty interface name") }
            let fields = ProcText.fields(text[(colon + 1)...])
            guard fields.count == 16 else {
                throw error("\(ProcText.string(name)) has \(fields.count) counters, expected 16")
            }
            var counters: [UInt64] = []
            for field in fields {
                guard let value = ProcText.uint64(field) else {
                    throw error("\(ProcText.string(name)) counter \(ProcText.string(field)) is not a number")
                }
                counters.append(value)
            }
            interfaces.append(Interface(name: ProcText.string(name), counters: counters))
        }
        return NetDevStats(interfaces: interfaces)
    }
}
