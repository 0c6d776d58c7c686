/// /proc/loadavg: `0.52 0.58 0.59 1/467 12345`; only the three averages are used.
public struct LoadAverage: ProcFile, Equatable {
    public static let relativePath = "loadavg"

    public var load1: Double
    public var load5: Double
    public var load15: Double

    public init(load1: Double, load5: Double, load15: Double) {
        self.load1 = load1
        self.load5 = load5
        self.load15 = load15
    }

    public static func parse(_ bytes: [UInt8], path: String) throws(ProcFileError) -> LoadAverage {
        guard let (number, text) = ProcText.lines(bytes).first else {
            throw ProcFileError(path: path, line: 0, reason: "empty file")
        }
        let fields = ProcText.fields(text)
        guard fields.count >= 3 else {
            throw ProcFileError(path: path, line: number, reason: "expected 3 load averages, found \(fields.count) fields")
        }
        var loads: [Double] = []
        for field in fields.prefix(3) {
            guard let load = ProcText.double(field) else {
                throw ProcFileError(path: path, line: number, reason: "load average \(ProcText.string(field)) is not a number")
            }
            loads.append(load)
        }
        return LoadAverage(load1: loads[0], load5: loads[1], load15: loads[2])
    }
}
