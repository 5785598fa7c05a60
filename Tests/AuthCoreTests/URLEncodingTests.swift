import AuthCore
import Testing

@Suite("URL encoding: what component writes, decode reads back")
struct URLEncodingTests {
    @Test("random bytes survive component then decode, from contiguous bytes and from a lazy collection")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 17, 300] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let escaped = bytes.map { "%" + ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            #expect(URLEncoding.decode(Array(escaped.utf8), plusIsSpace: false) == bytes)
            #expect(URLEncoding.decode(escaped.utf8.lazy.map { $0 }, plusIsSpace: false) == bytes)
        }
        let text = "a b+c/d?é&="
        #expect(URLEncoding.decode(Array(URLEncoding.component(text).utf8), plusIsSpace: true) == Array(text.utf8))
    }

    @Test("+ is a space only in forms; a % without two hex digits after it is nil")
    func plusAndBrokenEscapes() {
        #expect(URLEncoding.decode(Array("a+b%2B".utf8), plusIsSpace: true) == Array("a b+".utf8))
        #expect(URLEncoding.decode(Array("a+b".utf8), plusIsSpace: false) == Array("a+b".utf8))
        for broken in ["%", "%4", "%4g", "ab%", "ab%G1", "%%41"] {
            #expect(URLEncoding.decode(Array(broken.utf8), plusIsSpace: true) == nil, "\(broken)")
            #expect(URLEncoding.decode(broken.utf8.lazy.map { $0 }, plusIsSpace: true) == nil, "\(broken)")
        }
        #expect(URLEncoding.decode(Array("%41%4a%4A".utf8), plusIsSpace: false) == Array("AJJ".utf8))
    }
}
