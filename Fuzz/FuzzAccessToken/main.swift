import AuthCrypto
import CFuzzerDriver
import Foundation

/// One libFuzzer input (`make fuzz`). An input starting with `.` is a claims payload, signed here under
/// a valid header, so the fuzzer reaches the claims decoder past the signature check; any other
/// input is a whole token. Verification may only fail with a JWTError, and claims it accepts must
/// survive sign → verify unchanged and be what JSONDecoder reads from the same payload (the strict
/// flat reader may refuse more, never read differently).
func fuzzAccessToken(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    let token: String
    if bytes.first == UInt8(ascii: ".") {
        token = signed(payload: bytes.dropFirst())
    } else {
        guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
        token = text
    }
    guard let claims = try? codec.verify(token, now: 1_000) else { return 0 }
    if bytes.first == UInt8(ascii: ".") {
        let foundation = try? JSONDecoder().decode(AccessTokenClaims.self, from: Data(bytes.dropFirst()))
        precondition(foundation == claims, "the flat reader and JSONDecoder disagree")
    }
    let again = try! codec.verify(try! codec.sign(claims), now: 1_000)
    precondition(again == claims, "claims round trip")
    return 0
}

private let secret = Array("a fuzzing secret of at least thirty-two bytes".utf8)
private let key = try! JWTKey(id: "fuzz", secret: secret)
private let codec = try! AccessTokenCodec(
    keyring: JWTKeyring(signingKey: key), validation: .init(issuer: "authd", audience: "authd"), cacheCapacity: 0)

private func signed(payload: Slice<UnsafeBufferPointer<UInt8>>) -> String {
    let header = Base64.url.encode(Array(#"{"alg":"HS256","kid":"fuzz","typ":"at+jwt"}"#.utf8))
    let input = header + "." + Base64.url.encode(payload)
    return input + "." + Base64.url.encode(try! HMAC.authenticate(.sha256, key: secret, message: Array(input.utf8)))
}

@_cdecl("FuzzAccessToken_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzAccessToken(start!, count) }
}
