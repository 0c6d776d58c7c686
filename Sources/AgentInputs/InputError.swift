/// Why an input could not start or go on: names the input, the path and the cause.
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
