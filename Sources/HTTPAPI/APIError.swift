import Hummingbird
import SluiceModel

/// An error answered in Prometheus's and Loki's shape:
/// `{"status":"error","errorType":"bad_data","error":"<what and where>"}`.
public struct APIError: HTTPResponseError {
    public var status: HTTPResponse.Status
    public var errorType: String
    public var message: String

    public init(_ status: HTTPResponse.Status, _ errorType: String = "bad_data", _ message: String) {
        self.status = status
        self.errorType = errorType
        self.message = message
    }

    public static func badData(_ message: String) -> APIError { APIError(.badRequest, "bad_data", message) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var writer = JSONWriter(capacity: 96 + message.utf8.count)
        writer.raw("{\"status\":\"error\",\"errorType\":")
        writer.string(errorType)
        writer.raw(",\"error\":")
        writer.string(message)
        writer.raw("}")
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
