import Glibc
import SluiceModel

/// Binary operators: scalar/scalar, vector/scalar, and vector/vector with Prometheus's
/// matching (one-to-one, `group_left`/`group_right`, set operators), its duplicate checks
/// and their messages.
extension PromQLEvaluator {
    func binary(_ binary: PromQLBinaryExpression) throws(PromQLError) -> StepValue {
        let lhs = try evaluate(binary.lhs)
        let rhs = try evaluate(binary.rhs)
        switch (lhs, rhs) {
        case let (.scalar(left), .scalar(right)):
            return .scalar((0..<stepCount).map { Self.scalarOperation(binary.op, left[$0], right[$0]) })
        case let (.vector(vector), .scalar(scalar)):
            return .vector(try vectorScalar(binary, vector, scalar, scalarOnLeft: false))
        case let (.scalar(scalar), .vector(vector)):
            return .vector(try vectorScalar(binary, vector, scalar, scalarOnLeft: true))
        case let (.vector(left), .vector(right)):
            let matching = binary.matching ?? PromQLVectorMatching()
            if binary.op.isSetOperator { return .vector(try setOperation(binary.op, left, right, matching)) }
            return .vector(try vectorVector(binary, left, right, matching))
        default:
            throw PromQLError.execution("binary expression must contain only scalar and instant vector types")
        }
    }

    static func scalarOperation(_ op: PromQLBinaryOperator, _ lhs: Double, _ rhs: Double) -> Double {
        switch op {
        case .add: return lhs + rhs
        case .subtract: return lhs - rhs
        case .multiply: return lhs * rhs
        case .divide: return lhs / rhs
        case .power: return pow(lhs, rhs)
        case .modulo: return fmod(lhs, rhs)
        case .atan2: return atan2(lhs, rhs)
        case .equal: return lhs == rhs ? 1 : 0
        case .notEqual: return lhs != rhs ? 1 : 0
        case .greater: return lhs > rhs ? 1 : 0
        case .less: return lhs < rhs ? 1 : 0
        case .greaterOrEqual: return lhs >= rhs ? 1 : 0
        case .lessOrEqual: return lhs <= rhs ? 1 : 0
        case .and, .or, .unless: return .nan
        }
    }

    /// Prometheus's `vectorElemBinop`: the value, and for comparisons whether the sample stays.
    @inline(__always)
    static func elementOperation(_ op: PromQLBinaryOperator, _ lhs: Double, _ rhs: Double) -> (Double, Bool) {
        switch op {
        case .equal: return (lhs, lhs == rhs)
        case .notEqual: return (lhs, lhs != rhs)
        case .greater: return (lhs, lhs > rhs)
        case .less: return (lhs, lhs < rhs)
        case .greaterOrEqual: return (lhs, lhs >= rhs)
        case .lessOrEqual: return (lhs, lhs <= rhs)
        default: return (scalarOperation(op, lhs, rhs), true)
        }
    }

    private func vectorScalar(_ binary: PromQLBinaryExpression, _ vector: [StepSeries], _ scalar: [Double],
                              scalarOnLeft: Bool) throws(PromQLError) -> [StepSeries] {
        let op = binary.op
        var builder = StepMatrixBuilder(stepCount: stepCount)
        for series in vector {
            let labels = op.dropsMetricName || binary.returnBool ? series.labels.droppingMetricName() : series.labels
            var slot: Int?
            for step in 0..<stepCount where series.present[step] {
                let element = series.values[step]
                var (value, keep) = scalarOnLeft
                    ? Self.elementOperation(op, scalar[step], element) : Self.elementOperation(op, element, scalar[step])
                // A comparison keeps the vector's value even when the scalar is on the left.
                if op.isComparison && scalarOnLeft { value = element }
                if binary.returnBool {
                    value = keep ? 1 : 0
                    keep = true
                }
                guard keep else { continue }
                let target = slot ?? builder.slot(for: labels)
                slot = target
                try builder.set(target, step: step, value: value)
            }
        }
        return builder.finish()
    }

    /// The label set two series are matched on: `on` keeps the listed labels, otherwise
    /// all labels but the listed ones and the metric name.
    private static func signature(_ labels: Labels, _ matching: PromQLVectorMatching) -> Labels {
        matching.on ? labels.keeping(matching.matchingLabels) : labels.removing(matching.matchingLabels + ["__name__"])
    }

    /// Dense ids for the signatures of both sides.
    private static func signatureIDs(_ left: [StepSeries], _ right: [StepSeries], _ matching: PromQLVectorMatching)
        -> (left: [Int], right: [Int], count: Int)
    {
        var ids: [Labels: Int] = [:]
        func id(_ series: StepSeries) -> Int {
            let signature = signature(series.labels, matching)
            if let id = ids[signature] { return id }
            ids[signature] = ids.count
            return ids.count - 1
        }
        let leftIDs = left.map(id)
        let rightIDs = right.map(id)
        return (leftIDs, rightIDs, ids.count)
    }

    private func setOperation(_ op: PromQLBinaryOperator, _ left: [StepSeries], _ right: [StepSeries],
                              _ matching: PromQLVectorMatching) throws(PromQLError) -> [StepSeries] {
        let (leftIDs, rightIDs, count) = Self.signatureIDs(left, right, matching)
        var builder = StepMatrixBuilder(stepCount: stepCount)
        var leftSlots = [Int?](repeating: nil, count: left.count)
        var rightSlots = [Int?](repeating: nil, count: right.count)
        var seenOnRight = [Int](repeating: -1, count: count)
        var seenOnLeft = [Int](repeating: -1, count: count)
        for step in 0..<stepCount {
            let leftAny = left.contains { $0.present[step] }
            let rightAny = right.contains { $0.present[step] }
            func emitLeft(_ index: Int) throws(PromQLError) {
                let slot = leftSlots[index] ?? builder.slot(for: left[index].labels)
                leftSlots[index] = slot
                try builder.set(slot, step: step, value: left[index].values[step])
            }
            func emitRight(_ index: Int) throws(PromQLError) {
                let slot = rightSlots[index] ?? builder.slot(for: right[index].labels)
                rightSlots[index] = slot
                try builder.set(slot, step: step, value: right[index].values[step])
            }
            switch op {
            case .and:
                guard leftAny && rightAny else { continue }
                for index in right.indices where right[index].present[step] { seenOnRight[rightIDs[index]] = step }
                for index in left.indices where left[index].present[step] && seenOnRight[leftIDs[index]] == step {
                    try emitLeft(index)
                }
            case .or:
                for index in left.indices where left[index].present[step] {
                    seenOnLeft[leftIDs[index]] = step
                    try emitLeft(index)
                }
                for index in right.indices where right[index].present[step] && (!leftAny || seenOnLeft[rightIDs[index]] != step) {
                    try emitRight(index)
                }
            default:  // unless
                guard leftAny else { continue }
                if rightAny {
                    for index in right.indices where right[index].present[step] { seenOnRight[rightIDs[index]] = step }
                }
                for index in left.indices where left[index].present[step] {
                    if rightAny && seenOnRight[leftIDs[index]] == step { continue }
                    try emitLeft(index)
                }
            }
        }
        return builder.finish()
    }

    private func vectorVector(_ binary: PromQLBinaryExpression, _ originalLeft: [StepSeries], _ originalRight: [StepSeries],
                              _ matching: PromQLVectorMatching) throws(PromQLError) -> [StepSeries] {
        let op = binary.op
        // One-to-many runs as many-to-one with the sides swapped back for the values.
        let swapped = matching.cardinality == .oneToMany
        let left = swapped ? originalRight : originalLeft
        let right = swapped ? originalLeft : originalRight
        let (leftIDs, rightIDs, count) = Self.signatureIDs(left, right, matching)
        var rightBySignature = [Int](repeating: 0, count: count)
        var rightStep = [Int](repeating: -1, count: count)
        var matchedStep = [Int](repeating: -1, count: count)
        var builder = StepMatrixBuilder(stepCount: stepCount)
        var slotSignature: [Int] = []  // the signature that last wrote each slot at `slotStep`
        var slotStep: [Int] = []
        var resultSlots: [Int: Int] = [:]  // left index × right count + right index → slot
        for step in 0..<stepCount {
            guard left.contains(where: { $0.present[step] }), right.contains(where: { $0.present[step] }) else { continue }
            for index in right.indices where right[index].present[step] {
                let signature = rightIDs[index]
                if rightStep[signature] == step {
                    let duplicate = right[rightBySignature[signature]]
                    let groupLabels = matching.on
                        ? right[index].labels.keeping(matching.matchingLabels)
                        : right[index].labels.removing(matching.matchingLabels + ["__name__"])
                    throw PromQLError.execution(
                        "found duplicate series for the match group \(groupLabels.promQLDescription) on the \(swapped ? "left" : "right") hand-side of the operation: [\(right[index].labels.promQLDescription), \(duplicate.labels.promQLDescription)];many-to-many matching not allowed: matching labels must be unique on one side")
                }
                rightStep[signature] = step
                rightBySignature[signature] = index
            }
            for index in left.indices where left[index].present[step] {
                let signature = leftIDs[index]
                guard rightStep[signature] == step else { continue }
                let rightIndex = rightBySignature[signature]
                var leftValue = left[index].values[step], rightValue = right[rightIndex].values[step]
                if swapped { swap(&leftValue, &rightValue) }
                var (value, keep) = Self.elementOperation(op, leftValue, rightValue)
                if binary.returnBool {
                    value = keep ? 1 : 0
                } else if !keep {
                    continue
                }
                let key = index * right.count + rightIndex
                let slot: Int
                if let known = resultSlots[key] {
                    slot = known
                } else {
                    var labels = Self.resultLabels(left[index].labels, right[rightIndex].labels, op, matching)
                    if binary.returnBool { labels = labels.droppingMetricName() }
                    slot = builder.slot(for: labels)
                    resultSlots[key] = slot
                    while slotStep.count <= slot {
                        slotStep.append(-1)
                        slotSignature.append(-1)
                    }
                }
                if matching.cardinality == .oneToOne {
                    if matchedStep[signature] == step {
                        throw PromQLError.execution(
                            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                    }
                    matchedStep[signature] = step
                } else if slotStep[slot] == step && slotSignature[slot] == signature {
                    throw PromQLError.execution("multiple matches for labels: grouping labels must ensure unique matches")
                }
                slotStep[slot] = step
                slotSignature[slot] = signature
                try builder.set(slot, step: step, value: value)
            }
        }
        return builder.finish()
    }

    /// Prometheus's `resultMetric`: the "many" side's labels, without the metric name for
    /// arithmetic, reduced to the matching labels for one-to-one `on`, without the ignored
    /// ones for one-to-one `ignoring`, plus the `group_x` labels from the "one" side.
    private static func resultLabels(_ lhs: Labels, _ rhs: Labels, _ op: PromQLBinaryOperator,
                                     _ matching: PromQLVectorMatching) -> Labels {
        var labels = op.dropsMetricName ? lhs.droppingMetricName() : lhs
        if matching.cardinality == .oneToOne {
            labels = matching.on ? labels.keeping(matching.matchingLabels) : labels.removing(matching.matchingLabels)
        }
        for name in matching.include {
            if let value = rhs[name], !value.isEmpty {
                labels[name] = value
            } else {
                labels[name] = nil
            }
        }
        return labels
    }
}
