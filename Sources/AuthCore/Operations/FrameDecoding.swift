public import NIOCore

/// A frame decoder for request/response protocols: after the peer's EOF, the whole frames still
/// buffered are passed on and a partial one is dropped (the peer is gone and cannot read a reply).
public protocol DropsPartialFrameAtEOF: ByteToMessageDecoder {}

extension DropsPartialFrameAtEOF {
    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.clear()
        return .needMoreData
    }
}
