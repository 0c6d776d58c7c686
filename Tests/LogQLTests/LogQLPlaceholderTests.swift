import Testing
@testable import LogQL
