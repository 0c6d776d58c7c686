import Testing
import SluiceModel

@Suite struct LabelsTests {
    /// `init(unsortedPairs:)` against a dictionary built in arrival order (last wins).
    @Test func unsortedPairsSortAndKeepTheLastOfRepeatedNames() {
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<2000 {
            let pairs = (0..<next(9)).map { _ in (name: "n\(next(6))", value: "v\(next(100))") }
            var expected: [String: String] = [:]
            for pair in pairs { expected[pair.name] = pair.value }
            let labels = Labels(unsortedPairs: pairs)
            #expect(labels == Labels(expected), "\(pairs)")
            #expect(labels.pairs.map(\.name) == labels.pairs.map(\.name).sorted())
        }
    }
}
