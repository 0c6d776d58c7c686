/// An HTTP POST as notifiers make it.
public struct NotificationRequest: Sendable, Equatable {
    public var url: String
    public var body: [UInt8]
    public var contentType: String
    /// Connect, write and read timeout each, in ms.
    public var timeoutMilliseconds: Int64

    public init(url: String, body: [UInt8], contentType: String = "application/json", timeoutMilliseconds: Int64 = 10_000) {
        self.url = url
        self.body = body
        self.contentType = contentType
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// The receiver's answer.
public struct NotificationResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8] = []) {
        self.status = status
        self.body = body
    }
}

/// Sends a notification and waits for the answer; throws when there is none
/// (connection refused, timeout, malformed answer). Blocking: notifiers call it from
/// their own delivery thread. Tests inject a fake.
public protocol NotificationTransport: Sendable {
    func post(_ request: NotificationRequest) throws -> NotificationResponse
}

/// Why a notification got no answer.
public struct NotificationTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
