import Hummingbird
import LogQL

/// Maps query-engine errors onto HTTP answers as Loki and Prometheus do: syntax and
/// semantic errors are 400 `bad_data` with the position; exceeded limits (entries,
/// series, points, range) are 400 `bad_data` saying which; a query past its deadline is
/// 503 `timeout`.
enum QueryErrorMapper {
    static func map(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError: error
        case let error as LogQLError: APIError.badData(error.description)
        case let error as LogQLLimitError: APIError.badData(error.message)
        case is LogQLCancelled: APIError(.serviceUnavailable, "timeout", "query timed out: it ran longer than the query timeout")
        default: APIError(.internalServerError, "internal", "\(error)")
        }
    }
}
