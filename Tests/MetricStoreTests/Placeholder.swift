import Testing
@testable import MetricStore
