import AuthLDAP
import CFuzzerDriver

/// One libFuzzer input (`make fuzz`): any bytes as an LDAP message. Nothing may crash or run long:
/// a BER element parses within its limits or is an error; a request that parses has its filter
/// evaluated against an entry, and an element that parses re-encodes to bytes that parse the same.
func fuzzBER(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))[...]
    guard let element = try? BERElement(parsing: bytes) else { return 0 }
    var writer = BERWriter()
    reencode(element, into: &writer)
    precondition((try? BERElement(parsing: writer.bytes[...])) == element, "a parsed element re-encodes")
    if let request = try? LDAPRequest(ber: bytes), case .search(let search) = request.operation {
        let entry = LDAPEntry(
            dn: "uid=ann,ou=people,dc=authd,dc=local", attributes: [("uid", ["ann"]), ("uidNumber", ["10001"])])
        _ = search.filter.matches(entry)
    }
    return 0
}

func reencode(_ element: BERElement, into writer: inout BERWriter) {
    if element.isConstructed {
        writer.constructed(element.tag) { inner in for child in element.children { reencode(child, into: &inner) } }
    } else {
        writer.element(element.tag, element.content)
    }
}

@_cdecl("FuzzBER_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzBER(start!, count) }
}
