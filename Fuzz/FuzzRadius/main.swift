import AuthRADIUS
import CFuzzerDriver

/// One libFuzzer input (`make fuzz`): any bytes as a RADIUS datagram. Nothing may crash; a packet
/// that parses encodes back to the bytes its Length covers, and its authenticators and hidden
/// password are checked without a crash.
func fuzzRadius(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    guard let packet = RadiusPacket(bytes: bytes) else { return 0 }
    let length = Int(bytes[2]) << 8 | Int(bytes[3])
    precondition(packet.encoded() == Array(bytes.prefix(length)), "a parsed packet encodes to its own bytes")
    let secret = Array("a fuzzing shared secret".utf8)
    _ = RadiusSecurity.hasValidMessageAuthenticator(packet, secret: secret)
    if let hidden = packet.first(.userPassword) {
        _ = try? RadiusSecurity.revealPassword(hidden, secret: secret, authenticator: packet.authenticator)
    }
    return 0
}

@_cdecl("FuzzRadius_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzRadius(start!, count) }
}
