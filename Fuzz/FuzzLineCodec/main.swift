import AuthLineProtocol
import CFuzzerDriver

/// One libFuzzer input (`make fuzz`): any bytes as one request line and as one reply line. Neither
/// parser may crash, and what parses must survive encode → parse unchanged.
func fuzzLineCodec(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let line = UnsafeBufferPointer(start: start, count: count)
    if let request = try? LineCodec.parse(line) {
        let encoded = LineCodec.encode(request)
        precondition(encoded.last == UInt8(ascii: "\n") && !encoded.dropLast().contains(UInt8(ascii: "\n")))
        precondition((try? LineCodec.parse(encoded.dropLast())) == request, "request round trip")
    }
    if let reply = LineCodec.parseReply(line) {
        let encoded = LineCodec.encode(reply)
        precondition(LineCodec.parseReply(encoded.dropLast()) == reply, "reply round trip")
    }
    return 0
}

@_cdecl("FuzzLineCodec_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzLineCodec(start!, count) }
}
