import SluiceModel
import Testing
import TestSupport
@testable import MetricStore

@Suite struct SeriesIndexTests {
    /// Random label sets and random matchers: the postings' answer equals checking every
    /// label set with the matchers one by one.
    @Test func postingsAgreeWithBruteForce() throws {
        var random = SplitMix64(seed: 99)
        let names = ["__name__", "job", "instance", "mode", "cpu", "device"]
        let values = ["", "a", "b", "c", "api", "db", "web-1", "web-2", "0", "1"]
        var index = SeriesIndex()
        var sets: [Labels] = []
        for _ in 0..<400 {
            var pairs: [String: String] = ["__name__": ["up", "cpu", "mem"].randomElement(using: &random)!]
            for name in names.dropFirst() where Bool.random(using: &random) {
                let value = values.randomElement(using: &random)!
                if !value.isEmpty { pairs[name] = value }
            }
            let set = Labels(pairs)
            let id = index.insert(set)
            if Int(id) == sets.count { sets.append(set) }
            #expect(index.labels[Int(id)] == set)
        }
        let patterns = ["a|b", "web-.*", ".*", ".+", "", "d.*|c", "[0-9]"]
        for _ in 0..<500 {
            var matchers: [LabelMatcher] = []
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                let name = names.randomElement(using: &random)!
                let op = LabelMatcher.Operator.allCases.randomElement(using: &random)!
                let value = op == .equal || op == .notEqual
                    ? (name == "__name__" ? ["up", "cpu", "x", ""].randomElement(using: &random)! : values.randomElement(using: &random)!)
                    : patterns.randomElement(using: &random)!
                matchers.append(try LabelMatcher(name: name, op: op, value: value))
            }
            let expected = sets.indices.filter { id in matchers.allSatisfy { $0.matches(sets[id]) } }.map(UInt32.init)
            #expect(index.select(matchers) == expected, "\(matchers)")
        }
        #expect(index.labelNames == names.sorted())
        #expect(index.labelValues("job") == Set(sets.compactMap { $0["job"] }).sorted())
    }
}
