import Logging
import NIOCore

/// One client connection: requests are started in arrival order and answered strictly in
/// that order (Kafka clients match responses to the oldest request in flight). A request that
/// cannot be decoded, or that is refused without a response, closes this connection only.
/// While many requests are queued, reading pauses, so a fast client cannot grow memory.
final class KafkaConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maxQueuedRequests = 64

    private let router: RequestRouter
    private let logger: Logger
    private var tail: EventLoopFuture<Void>?
    private var queued = 0
    private var readingPaused = false
    /// Set once a request failed: nothing after it on this connection is started.
    private var closing = false

    init(router: RequestRouter, logger: Logger) {
        self.router = router
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var frame = unwrapInboundIn(data)
        let bytes = frame.readBytes(length: frame.readableBytes) ?? []
        let channel = context.channel
        let eventLoop = context.eventLoop
        let router = self.router
        let logger = self.logger
        let previous = tail ?? eventLoop.makeSucceededVoidFuture()
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        queued += 1
        if queued >= Self.maxQueuedRequests, !readingPaused {
            readingPaused = true
            channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
        // Each request starts as soon as it arrives (so that acks=all produces pipelined on
        // one connection share a group-commit fsync instead of waiting one after another);
        // only the writing of responses is chained, which keeps them in request order.
        let result: EventLoopFuture<[UInt8]?>
        do {
            result = try router.handle(bytes, on: eventLoop)
        } catch {
            // Nothing after a bad request is started; responses before it are still sent.
            closing = true
            result = eventLoop.makeFailedFuture(error)
        }
        let handled = previous.flatMap { result }
            .flatMapThrowing { response -> Void in
                if let response { channel.writeAndFlush(ByteBuffer(bytes: response), promise: nil) }
            }
        tail = handled.flatMapErrorThrowing { error in
            loopBound.value.closing = true
            if !(error is ProduceFailedWithoutAcks) {
                logger.warning("closing connection after a bad request", metadata: ["remote": "\(channel.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)"])
            }
            channel.close(promise: nil)
            throw error
        }
        tail!.whenComplete { _ in
            let handler = loopBound.value
            handler.queued -= 1
            if handler.readingPaused, handler.queued < Self.maxQueuedRequests / 2 {
                handler.readingPaused = false
                channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("closing connection", metadata: ["remote": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)"])
        context.close(promise: nil)
    }
}
