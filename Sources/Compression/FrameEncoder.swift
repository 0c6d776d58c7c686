/// One codec's incremental encoder for a whole, already available input, written as one frame.
protocol FrameEncoder: AnyObject {
    /// The smallest output window with which `encode` is sure to make progress.
    var minimumWindow: Int { get }

    /// Encodes the rest of the input (`input` always starts at the first unconsumed byte) into
    /// `output`; `finished` is true once the frame is complete and fully written.
    func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> EncodeStep
}

/// What one `FrameEncoder.encode` call did.
struct EncodeStep {
    var consumed = 0
    var produced = 0
    var finished = false
}

extension FrameEncoder {
    /// Runs the encoder over all of `input`, growing the output in bounded steps starting from
    /// `initialCapacity` rather than allocating the worst-case bound up front.
    func encodeAll(_ input: UnsafeRawBufferPointer, initialCapacity: Int) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(Swift.max(initialCapacity, minimumWindow))
        var offset = 0
        while true {
            let spare = output.capacity - output.count
            // Use what is already reserved; once full, grow by about the size written so far.
            let window = Swift.max(minimumWindow, spare > 0 ? spare : Swift.min(Swift.max(output.count, 65536), 8 << 20))
            var step = EncodeStep()
            try output.appendBytes(upTo: window) { buffer in
                step = try encode(UnsafeRawBufferPointer(rebasing: input[offset...]), into: buffer)
                return step.produced
            }
            offset += step.consumed
            if step.finished { return output }
            precondition(step.consumed > 0 || step.produced > 0, "encoder made no progress")
        }
    }
}
