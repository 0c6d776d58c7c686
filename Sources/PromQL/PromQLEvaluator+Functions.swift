import Glibc
import SluiceModel

/// Function calls: range functions walk each series' window with two cursors across
/// the steps; instant-vector functions map samples step by step.
extension PromQLEvaluator {
    func call(_ call: PromQLCall) throws(PromQLError) -> StepValue {
        let name = call.function.name
        if let matrixIndex = call.arguments.firstIndex(where: { $0.type == .rangeVector }) {
            return .vector(try rangeFunction(call, matrixIndex: matrixIndex))
        }
        switch name {
        case "time":
            return .scalar((0..<stepCount).map { Double(time(ofStep: $0)) / 1000 })
        case "pi":
            return .scalar([Double](repeating: Double.pi, count: stepCount))
        case "scalar":
            let input = try vector(call.arguments[0])
            return .scalar((0..<stepCount).map { step in
                var found: Double?
                var count = 0
                for series in input where series.present[step] {
                    count += 1
                    found = series.values[step]
                }
                return count == 1 ? (found ?? .nan) : .nan
            })
        case "vector":
            let values = try scalar(call.arguments[0])
            var series = StepSeries(labels: Labels(), stepCount: stepCount)
            series.values = values
            series.present = [Bool](repeating: true, count: stepCount)
            return .vector([series])
        case "timestamp":
            if case .vectorSelector(let selector) = call.arguments[0].unwrapped {
                return .vector(try vectorSelector(selector, timestamps: true))
            }
            let input = try vector(call.arguments[0])
            return .vector(try mapSamples(input) { step, _ in Double(self.time(ofStep: step)) / 1000 })
        case "absent":
            return .vector(try absent(call.arguments[0]))
        case "sort", "sort_desc":
            return .vector(try sort(try vector(call.arguments[0]), descending: name == "sort_desc"))
        case "label_replace":
            return .vector(try labelReplace(call))
        case "label_join":
            return .vector(try labelJoin(call))
        case "histogram_quantile":
            let q = try scalar(call.arguments[0])
            return .vector(try histogramQuantile(q, try vector(call.arguments[1])))
        case "clamp", "clamp_min", "clamp_max", "round":
            return .vector(try clampOrRound(call))
        case "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year":
            return .vector(try dateFunction(call))
        default:
            guard let function = Self.mathFunction(name) else {
                throw PromQLError.execution("function \(GoQuote.string(name)) is not supported")
            }
            let input = try vector(call.arguments[0])
            return .vector(try mapSamples(input) { _, value in function(value) })
        }
    }

    /// Applies `transform` to every sample, dropping the metric name.
    private func mapSamples(_ input: [StepSeries], _ transform: (Int, Double) -> Double) throws(PromQLError) -> [StepSeries] {
        var output = input
        for index in output.indices {
            output[index].labels = output[index].labels.droppingMetricName()
            for step in 0..<stepCount where output[index].present[step] {
                output[index].values[step] = transform(step, output[index].values[step])
            }
        }
        try requireDistinctLabelSetsPerStep(output)
        return output
    }

    static func mathFunction(_ name: String) -> ((Double) -> Double)? {
        switch name {
        case "abs": return { $0.magnitude }
        case "ceil": return { $0.rounded(.up) }
        case "floor": return { $0.rounded(.down) }
        case "exp": return { Glibc.exp($0) }
        case "sqrt": return { $0.squareRoot() }
        case "ln": return goLog
        case "log2": return goLog2
        case "log10": return { goLog($0) * 0.43429448190325182765112891891660508229 }  // Go: Log(x) * (1/Ln10), folded exactly
        case "sgn": return { $0 < 0 ? -1 : $0 > 0 ? 1 : $0 }
        case "deg": return { $0 * 180 / Double.pi }
        case "rad": return { $0 * Double.pi / 180 }
        case "sin": return { Glibc.sin($0) }
        case "cos": return { Glibc.cos($0) }
        case "tan": return { Glibc.tan($0) }
        case "asin": return { Glibc.asin($0) }
        case "acos": return { Glibc.acos($0) }
        case "atan": return { Glibc.atan($0) }
        case "sinh": return { Glibc.sinh($0) }
        case "cosh": return { Glibc.cosh($0) }
        case "tanh": return { Glibc.tanh($0) }
        case "asinh": return { Glibc.asinh($0) }
        case "acosh": return { Glibc.acosh($0) }
        case "atanh": return { Glibc.atanh($0) }
        default: return nil
        }
    }

    /// Go's `math.Log2`: exact for powers of two, else `log(frac)/ln 2 + exp`.
    private static func goLog2(_ value: Double) -> Double {
        var exponent: Int32 = 0
        let fraction = frexp(value, &exponent)
        if fraction == 0.5 { return Double(exponent - 1) }
        return goLog(fraction) * 1.44269504088896340735992468100189213743 + Double(exponent)  // 1/Ln2
    }

    /// Go's `math.Log` (fdlibm's algorithm), which rounds differently from glibc's `log`
    /// in the last bit now and then; Prometheus's results are Go's.
    static func goLog(_ x: Double) -> Double {
        if x.isNaN || x == .infinity { return x }
        if x < 0 { return .nan }
        if x == 0 { return -.infinity }
        let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10
        let l1 = 6.666666666666735130e-01, l2 = 3.999999999940941908e-01, l3 = 2.857142874366239149e-01
        let l4 = 2.222219843214978396e-01, l5 = 1.818357216161805012e-01, l6 = 1.531383769920937332e-01
        let l7 = 1.479819860511658591e-01
        var exponent: Int32 = 0
        var f1 = frexp(x, &exponent)
        if f1 < 2.0.squareRoot() / 2 {
            f1 *= 2
            exponent -= 1
        }
        let f = f1 - 1
        let k = Double(exponent)
        let s = f / (2 + f)
        let s2 = s * s
        let s4 = s2 * s2
        let t1 = s2 * (l1 + s4 * (l3 + s4 * (l5 + s4 * l7)))
        let t2 = s4 * (l2 + s4 * (l4 + s4 * l6))
        let r = t1 + t2
        let hfsq = 0.5 * f * f
        return k * ln2Hi - ((hfsq - (s * (hfsq + r) + k * ln2Lo)) - f)
    }

    /// Go's `math.Max`/`math.Min`: NaN wins, infinities win, +0 beats -0 for max.
    static func goMax(_ x: Double, _ y: Double) -> Double {
        if x == .infinity || y == .infinity { return .infinity }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 && x == y { return x.sign == .minus ? y : x }
        return x > y ? x : y
    }

    static func goMin(_ x: Double, _ y: Double) -> Double {
        if x == -.infinity || y == -.infinity { return -.infinity }
        if x.isNaN || y.isNaN { return .nan }
        if x == 0 && x == y { return x.sign == .minus ? x : y }
        return x < y ? x : y
    }

    private func clampOrRound(_ call: PromQLCall) throws(PromQLError) -> [StepSeries] {
        let input = try vector(call.arguments[0])
        let first = call.arguments.count > 1 ? try scalar(call.arguments[1]) : []
        let second = call.arguments.count > 2 ? try scalar(call.arguments[2]) : []
        switch call.function.name {
        case "clamp":
            var output = try mapSamples(input) { step, value in Self.goMax(first[step], Self.goMin(second[step], value)) }
            // No result at steps where max < min.
            for step in 0..<stepCount where second[step] < first[step] {
                for index in output.indices { output[index].present[step] = false }
            }
            return output.filter(\.hasPoints)
        case "clamp_min":
            return try mapSamples(input) { step, value in Self.goMax(first[step], value) }
        case "clamp_max":
            return try mapSamples(input) { step, value in Self.goMin(first[step], value) }
        default:  // round: ties go up
            return try mapSamples(input) { step, value in
                let inverse = 1.0 / (first.isEmpty ? 1 : first[step])
                return (value * inverse + 0.5).rounded(.down) / inverse
            }
        }
    }

    private func absent(_ argument: PromQLExpression) throws(PromQLError) -> [StepSeries] {
        let input = try vector(argument)
        var output = StepSeries(labels: Self.absentLabels(argument), stepCount: stepCount)
        for step in 0..<stepCount where !input.contains(where: { $0.present[step] }) {
            output.present[step] = true
            output.values[step] = 1
        }
        return output.hasPoints ? [output] : []
    }

    /// The labels `absent` reports: the selector's equality matchers (not the name), a
    /// label matched more than once or otherwise left out.
    static func absentLabels(_ argument: PromQLExpression) -> Labels {
        let matchers: [LabelMatcher]
        switch argument.unwrapped {
        case .vectorSelector(let selector): matchers = selector.matchers
        case .matrixSelector(let matrix): matchers = matrix.selector.matchers
        default: return Labels()
        }
        var labels = Labels()
        var seen = Set<String>()
        for matcher in matchers where matcher.name != "__name__" {
            if matcher.op == .equal && !seen.contains(matcher.name) {
                labels[matcher.name] = matcher.value
                seen.insert(matcher.name)
            } else {
                labels[matcher.name] = nil
            }
        }
        return labels
    }

    /// Reorders by value for an instant query (Go's unstable sort, NaN last); a range
    /// query's result is sorted by labels anyway.
    private func sort(_ input: [StepSeries], descending: Bool) throws(PromQLError) -> [StepSeries] {
        guard stepCount == 1 else { return input }
        var output = input
        GoSort.sort(&output) { lhs, rhs in
            let a = lhs.values[0], b = rhs.values[0]
            // sort.Reverse over Prometheus's value heaps: Less(i, j) is the heap's Less(j, i).
            return descending ? (b.isNaN || b < a) : (b.isNaN || b > a)
        }
        return output
    }

    private func stringArgument(_ expression: PromQLExpression) throws(PromQLError) -> String {
        guard case .string(let value) = try evaluate(expression) else { throw PromQLError.execution("expected a string") }
        return value
    }

    private func labelReplace(_ call: PromQLCall) throws(PromQLError) -> [StepSeries] {
        let input = try vector(call.arguments[0])
        let destination = try stringArgument(call.arguments[1])
        let replacement = try stringArgument(call.arguments[2])
        let sourceLabel = try stringArgument(call.arguments[3])
        let pattern = try stringArgument(call.arguments[4])
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex("^(?:" + pattern + ")$")
        } catch {
            throw PromQLError.execution("invalid regular expression in label_replace(): \(pattern)")
        }
        guard PromQLLexer.isLabelName(destination) else {
            throw PromQLError.execution("invalid destination label name in label_replace(): \(destination)")
        }
        var output = input
        for index in output.indices {
            let value = output[index].labels[sourceLabel] ?? ""
            guard let match = try? regex.wholeMatch(in: value) else { continue }
            let expanded = Self.expand(replacement, match: match)
            output[index].labels[destination] = expanded.isEmpty ? nil : expanded
        }
        try requireDistinctLabelSetsPerStep(output)
        return output
    }

    /// Go's `regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; a name is as long as
    /// possible (`$1x` is group "1x"); unknown groups expand to nothing.
    static func expand(_ template: String, match: Regex<AnyRegexOutput>.Match) -> String {
        var out = ""
        var rest = Substring(template)
        func group(_ name: Substring) -> String {
            var number = 0
            var isNumber = !name.isEmpty
            for character in name.utf8 {
                guard character >= UInt8(ascii: "0"), character <= UInt8(ascii: "9"), number < 100_000_000 else {
                    isNumber = false
                    break
                }
                number = number * 10 + Int(character - UInt8(ascii: "0"))
            }
            if name.hasPrefix("0") && name.count > 1 { isNumber = false }
            let output = match.output
            if isNumber {
                guard number < output.count, let substring = output[number].substring else { return "" }
                return String(substring)
            }
            for element in output where element.name.map({ $0 == name }) == true {
                return element.substring.map(String.init) ?? ""
            }
            return ""
        }
        while let dollar = rest.firstIndex(of: "$") {
            out += rest[..<dollar]
            rest = rest[rest.index(after: dollar)...]
            if rest.first == "$" {
                out += "$"
                rest = rest.dropFirst()
                continue
            }
            var body = rest
            let braced = body.first == "{"
            if braced { body = body.dropFirst() }
            let name = body.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if name.isEmpty || (braced && body.dropFirst(name.count).first != "}") {
                out += "$"
                continue
            }
            out += group(name)
            rest = body.dropFirst(name.count + (braced ? 1 : 0))
        }
        return out + rest
    }

    private func labelJoin(_ call: PromQLCall) throws(PromQLError) -> [StepSeries] {
        let input = try vector(call.arguments[0])
        let destination = try stringArgument(call.arguments[1])
        let separator = try stringArgument(call.arguments[2])
        var sources: [String] = []
        for argument in call.arguments.dropFirst(3) {
            let source = try stringArgument(argument)
            guard PromQLLexer.isLabelName(source) else {
                throw PromQLError.execution("invalid source label name in label_join(): \(source)")
            }
            sources.append(source)
        }
        guard PromQLLexer.isLabelName(destination) else {
            throw PromQLError.execution("invalid destination label name in label_join(): \(destination)")
        }
        var output = input
        for index in output.indices {
            let joined = sources.map { output[index].labels[$0] ?? "" }.joined(separator: separator)
            output[index].labels[destination] = joined.isEmpty ? nil : joined
        }
        try requireDistinctLabelSetsPerStep(output)
        return output
    }
}
