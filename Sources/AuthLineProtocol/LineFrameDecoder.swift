public import NIOCore

/// A line longer than the limit: answered `BAD\t*\treason=line_too_long`, then the connection closes.
public struct LineTooLongError: Error {
    public init() {}
}

/// Splits the byte stream at `\n`, however TCP cut or coalesced it. Lines longer than
/// `maximumLength` (terminator excluded) are an error, detected without waiting for the newline.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    let maximumLength: Int

    public init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let scanned = buffer.readableBytesView.prefix(maximumLength + 1)
        guard let newline = scanned.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maximumLength { throw LineTooLongError() }
            return .needMoreData
        }
        let line = buffer.readSlice(length: newline - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    /// A last line without its newline is dropped: the peer is gone and cannot read a reply.
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.clear()
        return .needMoreData
    }
}
