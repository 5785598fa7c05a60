import AuthCrypto
import CFuzzerDriver

/// One libFuzzer input (`make fuzz`) for DPoP proofs (RFC 9449), the one JWS authd reads whose key
/// comes from the sender: an input starting with `{` is a header (its `jwk` imported into OpenSSL
/// before the signature is checked), one starting with `.` a claims payload under a valid header,
/// both signed here by a fixed P-256 key so the fuzzer reaches the code behind the signature; any
/// other input is a whole proof. Reading may only fail with a JWTError; a proof read must be
/// signed by the key its thumbprint names.
func fuzzDPoPProof(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    let compact: String
    switch bytes.first {
    case UInt8(ascii: "{"): compact = signed(header: Array(bytes), claims: validClaims)
    case UInt8(ascii: "."): compact = signed(header: validHeader, claims: Array(bytes.dropFirst()))
    default:
        guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
        compact = text
    }
    guard let proof = try? DPoPProof(compact) else { return 0 }
    precondition(!proof.key.thumbprint.isEmpty && !proof.id.isEmpty, "a proof read has a key and a jti")
    return 0
}

private let key = try! SigningKey.generate(.es256)
private let jwk = try! key.publicJWK()
private let validHeader = Array(
    #"{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"\#(jwk["x"]!)","y":"\#(jwk["y"]!)"}}"#.utf8)
private let validClaims = Array(#"{"jti":"j","htm":"GET","htu":"https://a.example/","iat":1}"#.utf8)

private func signed(header: [UInt8], claims: [UInt8]) -> String {
    let input = Base64.url.encode(header) + "." + Base64.url.encode(claims)
    return input + "." + Base64.url.encode(try! key.sign(Array(input.utf8)))
}

@_cdecl("FuzzDPoPProof_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzDPoPProof(start!, count) }
}
