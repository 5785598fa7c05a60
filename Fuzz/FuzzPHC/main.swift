import AuthCrypto
import CFuzzerDriver

/// One libFuzzer input (`make fuzz`): any text as a stored password hash. The parser may only accept
/// the exact form it writes back.
func fuzzPHC(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: start, count: count), as: UTF8.self),
        let parsed = try? PHCString(parsing: text)
    else { return 0 }
    precondition(parsed.description == text, "an accepted PHC string is written back unchanged")
    return 0
}

@_cdecl("FuzzPHC_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzzPHC(start!, count) }
}
