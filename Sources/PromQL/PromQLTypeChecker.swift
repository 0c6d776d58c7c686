/// The checks Prometheus runs on a syntactically valid expression, in its order (so the
/// first error reported is the same): operand types of operators, functions and
/// aggregations, `bool` and vector-matching rules, selectors that would match everything.
struct PromQLTypeChecker {
    let query: String

    private func error(_ message: String, at position: Int) -> PromQLError {
        PromQLError.parse(message, at: position, in: query)
    }

    @discardableResult
    func check(_ expression: PromQLExpression) throws(PromQLError) -> PromQLValueType {
        switch expression {
        case .number, .string:
            break
        case .parenthesized(let inner, _):
            try check(inner)
        case .unary(_, let operand, let position):
            let type = try check(operand)
            if type != .scalar && type != .instantVector {
                throw error("unary expression only allowed on expressions of type scalar or instant vector, got \(GoQuote.string(type.rawValue))",
                            at: position)
            }
        case .matrixSelector(let matrix):
            try checkSelector(matrix.selector)
        case .vectorSelector(let selector):
            try checkSelector(selector)
        case .aggregate(let aggregate):
            try expect(aggregate.expression, .instantVector, context: "aggregation expression")
            if let parameter = aggregate.parameter {
                try expect(parameter, aggregate.op == .countValues ? .string : .scalar, context: "aggregation parameter")
            }
        case .call(let call):
            try checkCall(call)
        case .binary(let binary):
            try checkBinary(binary)
        }
        return expression.type
    }

    private func expect(_ expression: PromQLExpression, _ wanted: PromQLValueType, context: String) throws(PromQLError) {
        let type = try check(expression)
        if type != wanted {
            throw error("expected type \(wanted.rawValue) in \(context), got \(type.rawValue)", at: expression.position)
        }
    }

    private func checkSelector(_ selector: PromQLVectorSelector) throws(PromQLError) {
        if let name = selector.name {
            for matcher in selector.matchers.dropLast() where matcher.name == "__name__" {
                throw error("metric name must not be set twice: \(GoQuote.string(name)) or \(GoQuote.string(matcher.value))",
                            at: selector.position)
            }
            return
        }
        if !selector.matchers.contains(where: { !$0.matchesEmpty }) {
            throw error("vector selector must contain at least one non-empty matcher", at: selector.position)
        }
    }

    private func checkCall(_ call: PromQLCall) throws(PromQLError) {
        let function = call.function
        let declared = function.argumentTypes.count
        let name = GoQuote.string(function.name)
        if function.variadic == 0 {
            if declared != call.arguments.count {
                throw error("expected \(declared) argument(s) in call to \(name), got \(call.arguments.count)", at: call.position)
            }
        } else {
            let required = declared - 1
            if required > call.arguments.count {
                throw error("expected at least \(required) argument(s) in call to \(name), got \(call.arguments.count)",
                            at: call.position)
            }
            if function.variadic > 0, required + function.variadic < call.arguments.count {
                throw error("expected at most \(required + function.variadic) argument(s) in call to \(name), got \(call.arguments.count)",
                            at: call.position)
            }
        }
        for (index, argument) in call.arguments.enumerated() {
            var typeIndex = index
            if index >= declared {
                if function.variadic == 0 { break }
                typeIndex = declared - 1
            }
            try expect(argument, function.argumentTypes[typeIndex], context: "call to function \(name)")
        }
    }

    private func checkBinary(_ binary: PromQLBinaryExpression) throws(PromQLError) {
        let lhsType = try check(binary.lhs)
        let rhsType = try check(binary.rhs)
        let op = binary.op
        let opName = GoQuote.string(op.rawValue)
        if binary.returnBool && !op.isComparison {
            throw error("bool modifier can only be used on comparison operators", at: binary.operatorPosition)
        }
        if op.isComparison && !binary.returnBool && lhsType == .scalar && rhsType == .scalar {
            throw error("comparisons between scalars must use BOOL modifier", at: binary.operatorPosition)
        }
        if let matching = binary.matching, matching.on {
            for label in matching.matchingLabels where matching.include.contains(label) {
                throw error("label \(GoQuote.string(label)) must not occur in ON and GROUP clause at once", at: binary.operatorPosition)
            }
        }
        if lhsType != .scalar && lhsType != .instantVector {
            throw error("binary expression must contain only scalar and instant vector types", at: binary.lhs.position)
        }
        if rhsType != .scalar && rhsType != .instantVector {
            throw error("binary expression must contain only scalar and instant vector types", at: binary.rhs.position)
        }
        let position = binary.lhs.position
        if lhsType != .instantVector || rhsType != .instantVector {
            if let matching = binary.matching, !matching.matchingLabels.isEmpty {
                throw error("vector matching only allowed between instant vectors", at: position)
            }
        } else if op.isSetOperator, let matching = binary.matching {
            if matching.cardinality == .oneToMany || matching.cardinality == .manyToOne {
                throw error("no grouping allowed for \(opName) operation", at: position)
            }
        }
        if (lhsType == .scalar || rhsType == .scalar) && op.isSetOperator {
            throw error("set operator \(opName) not allowed in binary scalar expression", at: position)
        }
    }
}
