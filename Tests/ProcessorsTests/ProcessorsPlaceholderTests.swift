import Testing
@testable import Processors
