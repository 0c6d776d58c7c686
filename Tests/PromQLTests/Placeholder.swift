import Testing
@testable import PromQL
