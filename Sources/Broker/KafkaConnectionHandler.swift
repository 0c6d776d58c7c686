import Logging
import NIOCore

/// One client connection: requests are started in arrival order and answered strictly in
/// that order (Kafka clients match responses to the oldest request in flight). A request that
/// cannot be decoded, or that is refused without a response, closes this connection only.
/// Reading pauses while many requests are queued or while the socket does not take the
/// responses already written (a client that stops reading), so memory stays bounded.
final class KafkaConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Requests started but not yet answered, at most; also the read-ahead of frames.
    static let maxInFlight = 64

    private let router: RequestRouter
    private let logger: Logger
    private var tail: EventLoopFuture<Void>?
    /// Frames read but not started (waiting for a free slot or a writable socket).
    private var waiting: [[UInt8]] = []
    private var inFlight = 0
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
        waiting.append(frame.readBytes(length: frame.readableBytes) ?? [])
        startWaiting(context.channel, eventLoop: context.eventLoop)
        updateReading(context.channel)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        startWaiting(context.channel, eventLoop: context.eventLoop)
        updateReading(context.channel)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("closing connection", metadata: ["remote": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)"])
        context.close(promise: nil)
    }

    /// Starts waiting frames while there is a free slot and the socket takes the responses
    /// already written, so a client that stops reading stops costing memory.
    private func startWaiting(_ channel: any Channel, eventLoop: any EventLoop) {
        while !closing, inFlight < Self.maxInFlight, channel.isWritable, !waiting.isEmpty {
            start(waiting.removeFirst(), channel: channel, eventLoop: eventLoop)
        }
    }

    private func start(_ bytes: [UInt8], channel: any Channel, eventLoop: any EventLoop) {
        let logger = self.logger
        let previous = tail ?? eventLoop.makeSucceededVoidFuture()
        let loopBound = NIOLoopBound(self, eventLoop: eventLoop)
        inFlight += 1
        // Each request starts as soon as it may (so that acks=all produces pipelined on one
        // connection share a group-commit fsync instead of waiting one after another); only
        // the writing of responses is chained, which keeps them in request order.
        let result: EventLoopFuture<[UInt8]?>
        do {
            result = try router.handle(bytes, on: eventLoop)
        } catch {
            // Nothing after a bad request is started; responses before it are still sent.
            closing = true
            waiting.removeAll()
            result = eventLoop.makeFailedFuture(error)
        }
        let handled = previous.flatMap { result }
            .flatMapThrowing { response -> Void in
                if let response { channel.writeAndFlush(ByteBuffer(bytes: response), promise: nil) }
            }
        let current = handled.flatMapErrorThrowing { error in
            loopBound.value.closing = true
            if !(error is ProduceFailedWithoutAcks) {
                logger.warning("closing connection after a bad request", metadata: ["remote": "\(channel.remoteAddress.map { "\($0)" } ?? "?")", "error": "\(error)"])
            }
            channel.close(promise: nil)
            throw error
        }
        tail = current
        current.whenComplete { _ in
            let handler = loopBound.value
            handler.inFlight -= 1
            handler.startWaiting(channel, eventLoop: eventLoop)
            handler.updateReading(channel)
        }
    }

    /// Pauses reading while a full queue of frames waits or the socket is not writable;
    /// resumes once half of it has drained and the socket takes data again.
    private func updateReading(_ channel: any Channel) {
        let load = waiting.count + inFlight
        if !readingPaused, load >= Self.maxInFlight || !channel.isWritable {
            readingPaused = true
            channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        } else if readingPaused, load < Self.maxInFlight / 2, channel.isWritable {
            readingPaused = false
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
    }
}
