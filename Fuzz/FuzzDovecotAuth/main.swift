import AuthHookServers
import CFuzzerDriver

/// One libFuzzer input (`make fuzz`): any bytes as a line from a mail server on the dovecot_auth
/// listener, and as a SASL message of each mechanism. Nothing may crash; whatever fields a line is
/// read as must be read the same after escaping them again.
func fuzzDovecotAuth(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let fields = DovecotAuthProtocol.fields(bytes) {
        let again = fields.map(DovecotAuthProtocol.escape).joined(separator: "\t")
        precondition(DovecotAuthProtocol.fields(Array(again.utf8)) == fields, "escaped fields read back the same")
        if fields.first == "AUTH", case .success(let request) = DovecotAuthProtocol.authRequest(fields.dropFirst()) {
            precondition(request.id > 0 && !request.service.isEmpty, "an accepted AUTH has an ID and a service")
        }
    }
    if let credentials = SASLMessage.plain(bytes) {
        precondition(!credentials.user.isEmpty, "PLAIN names a user")
    }
    if let bearer = SASLMessage.xoauth2(bytes) { precondition(!bearer.token.isEmpty, "XOAUTH2 carries a token") }
    if let bearer = SASLMessage.oauthBearer(bytes) {
        precondition(!bearer.token.isEmpty, "OAUTHBEARER carries a token")
    }
    return 0
}

@_cdecl("FuzzDovecotAuth_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzDovecotAuth(start!, count) }
}
