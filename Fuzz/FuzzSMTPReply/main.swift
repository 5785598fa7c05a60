import AuthMail
import CFuzzerDriver
import NIOCore

/// One libFuzzer input (`make fuzz`): any bytes as a relay's answer, fed in chunks cut where the
/// input's first byte says. Nothing may crash; every reply has a three-digit code and at most
/// `maximumLines` lines, none longer than a line may be; what stays buffered is bounded; and after
/// an error the parser is not used again, as the handler closes the connection.
func fuzzSMTPReply(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let chunk = max(1, Int(bytes.first ?? 1))
    var parser = SMTPReplyParser()
    var offset = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + chunk)
        parser.append(ByteBuffer(bytes: bytes[offset..<end]))
        offset = end
        do {
            while let reply = try parser.next() {
                precondition((0...999).contains(reply.code), "a three-digit code")
                precondition(!reply.lines.isEmpty && reply.lines.count <= SMTPReplyParser.maximumLines)
                precondition(reply.lines.allSatisfy { $0.utf8.count <= SMTPReplyParser.maximumLineLength })
            }
        } catch {
            return 0
        }
        precondition(parser.buffered <= SMTPReplyParser.maximumLineLength + chunk, "the buffer stays bounded")
    }
    return 0
}

@_cdecl("FuzzSMTPReply_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzSMTPReply(start!, count) }
}
