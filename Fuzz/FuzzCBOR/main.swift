import AuthWebAuthn
import CFuzzerDriver

/// One libFuzzer input (`make fuzz`) for the CBOR decoder behind WebAuthn (#36): whatever it
/// accepts must encode canonically and decode back to the same item, and a prefix's length must
/// be the item's own; a COSE key it reads must be refused or accepted, never crash OpenSSL. The same
/// bytes are read as authenticator data, whose credential key and extensions are CBOR prefixes.
func fuzzCBOR(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let data = try? AuthenticatorData(bytes) {
        precondition(data.raw == bytes && data.rpIDHash.count == 32, "authenticator data keeps its bytes")
    }
    guard let (item, length) = try? CBOR.decodePrefix(of: bytes) else { return 0 }
    let again = try! CBOR(decoding: item.encoded)
    precondition(again == item, "canonical encoding round trip")
    precondition(length <= bytes.count && (try? CBOR(decoding: bytes[..<length])) == item, "the prefix is the item")
    _ = try? COSEKey.publicKey(item)
    return 0
}

@_cdecl("FuzzCBOR_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzCBOR(start!, count) }
}
