public import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A line longer than the limit: answered `BAD\t*\treason=line_too_long`, then the connection closes.
public struct LineTooLongError: Error {
    public init() {}
}

/// Splits the byte stream at `\n`, however TCP cut or coalesced it. Lines longer than
/// `maximumLength` (terminator excluded) are an error, detected without waiting for the newline.
public struct LineFrameDecoder: DropsPartialFrameAtEOF {
    public typealias InboundOut = ByteBuffer

    let maximumLength: Int

    public init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let scanned = min(buffer.readableBytes, maximumLength + 1)
        let newline = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard scanned > 0, let start = bytes.baseAddress,
                let found = memchr(start, Int32(UInt8(ascii: "\n")), scanned)
            else { return nil }
            return start.distance(to: UnsafeRawPointer(found))
        }
        guard let newline else {
            if buffer.readableBytes > maximumLength { throw LineTooLongError() }
            return .needMoreData
        }
        let line = buffer.readSlice(length: newline)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

}
