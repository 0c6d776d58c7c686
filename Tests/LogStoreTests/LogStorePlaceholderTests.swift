import Testing
@testable import LogStore
