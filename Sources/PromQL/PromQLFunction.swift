/// A function PromQL can call: its argument types (the last repeats for variadic
/// functions) and result type, as Prometheus declares them.
public struct PromQLFunction: Sendable, Equatable {
    public var name: String
    public var argumentTypes: [PromQLValueType]
    /// 0: exactly `argumentTypes`; n > 0: up to n more of the last type; -1: any number more.
    public var variadic: Int
    public var returnType: PromQLValueType

    static func lookUp(_ name: String) -> PromQLFunction? { table[name] }

    /// Functions Prometheus 2.42 has that Sluice does not evaluate (native histograms).
    static let unsupported: Set<String> = ["histogram_count", "histogram_sum", "histogram_fraction"]

    private static let table: [String: PromQLFunction] = {
        var functions: [String: PromQLFunction] = [:]
        func add(_ name: String, _ arguments: [PromQLValueType], variadic: Int = 0, returns: PromQLValueType = .instantVector) {
            functions[name] = PromQLFunction(name: name, argumentTypes: arguments, variadic: variadic, returnType: returns)
        }
        let vector = PromQLValueType.instantVector, matrix = PromQLValueType.rangeVector
        let scalar = PromQLValueType.scalar, string = PromQLValueType.string
        for name in ["abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "sgn", "deg", "rad",
                     "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
                     "absent", "sort", "sort_desc", "timestamp"] {
            add(name, [vector])
        }
        for name in ["rate", "irate", "increase", "delta", "idelta", "deriv", "changes", "resets",
                     "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
                     "last_over_time", "present_over_time", "stddev_over_time", "stdvar_over_time", "absent_over_time"] {
            add(name, [matrix])
        }
        for name in ["days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute", "month", "year"] {
            add(name, [vector], variadic: 1)
        }
        add("quantile_over_time", [scalar, matrix])
        add("predict_linear", [matrix, scalar])
        add("holt_winters", [matrix, scalar, scalar])
        add("clamp", [vector, scalar, scalar])
        add("clamp_min", [vector, scalar])
        add("clamp_max", [vector, scalar])
        add("round", [vector, scalar], variadic: 1)
        add("time", [], returns: scalar)
        add("pi", [], returns: scalar)
        add("scalar", [vector], returns: scalar)
        add("vector", [scalar])
        add("label_replace", [vector, string, string, string, string])
        add("label_join", [vector, string, string, string], variadic: -1)
        add("histogram_quantile", [scalar, vector])
        return functions
    }()
}
