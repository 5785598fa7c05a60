import AuthHTTP
import CFuzzerDriver
import Foundation

/// One libFuzzer input (`make fuzz`): any bytes as the body of an OAuth request, and as the text of
/// an `Authorization: Basic` header. Whatever is accepted must survive being encoded again and
/// parsed back unchanged; nothing may crash.
let parameters: Set<String> = ["grant_type", "scope", "client_id", "client_secret", "token", "refresh_token"]

/// Every byte but the unreserved ones as `%XX`: an encoding any conforming parser reads back.
func formEncoded(_ text: String) -> String {
    text.utf8.map { byte in
        let unreserved =
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || "-._~".utf8.contains(byte)
        return unreserved ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
    }.joined()
}

func fuzzOAuthForm(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let form = try? FormBody.parse(bytes, parameters: parameters) {
        let present = parameters.sorted().compactMap { name in form[name].map { (name, $0) } }
        let encoded = present.map { "\(formEncoded($0.0))=\(formEncoded($0.1))" }.joined(separator: "&")
        let again = try? FormBody.parse(Array(encoded.utf8), parameters: parameters)
        precondition(again != nil, "an accepted form, encoded again, is accepted")
        for (name, value) in present {
            precondition(again?[name] == value, "an accepted parameter survives encoding and parsing")
        }
    }
    if let header = String(validating: bytes, as: UTF8.self), let basic = HTTPFrontEnd.basicCredentials(header) {
        let again = HTTPFrontEnd.basicCredentials(
            "Basic " + Data("\(formEncoded(basic.id)):\(formEncoded(basic.secret))".utf8).base64EncodedString())
        precondition(
            again?.id == basic.id && again?.secret == basic.secret, "accepted Basic credentials survive a round trip")
    }
    return 0
}

@_cdecl("FuzzOAuthForm_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzOAuthForm(start!, count) }
}
