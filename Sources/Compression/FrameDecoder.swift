/// One codec's incremental decoder; `StreamingDecompressor` drives it and enforces the limit.
///
/// A decoder owns a C context, so it is used from one thread at a time.
protocol FrameDecoder: AnyObject {
    /// Decodes from `input` into `output` as far as either allows.
    ///
    /// `frameEnded` is true when this call completed a frame (or gzip member) and flushed all of
    /// its output; further input starts a new frame.
    func decode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> DecodeStep
}

/// What one `FrameDecoder.decode` call did.
struct DecodeStep {
    var consumed = 0
    var produced = 0
    var frameEnded = false
}
