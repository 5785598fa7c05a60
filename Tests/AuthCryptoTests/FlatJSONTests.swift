import Foundation
import Testing

@testable import AuthCrypto

@Suite("FlatJSON: the strict reader behind token verification")
struct FlatJSONTests {
    static let claims = #"""
        {"aud":"authd","exp":1800000900,"iat":1800000000,"iss":"authd","jti":"j","name":"al\u00e9 \"x\"","nbf":1800000000,"roles":["user","a\/b"],"sid":null,"sub":"42"}
        """#

    func read(_ text: String) -> FlatJSON? { try? FlatJSON(Array(text.utf8)) }

    @Test("an authd payload reads as JSONDecoder reads it, escapes and all")
    func sameAsFoundation() throws {
        let flat = try AccessTokenClaims(try FlatJSON(Array(Self.claims.utf8)))
        let foundation = try JSONDecoder().decode(AccessTokenClaims.self, from: Data(Self.claims.utf8))
        #expect(flat == foundation)
        #expect(flat.name == "alé \"x\"" && flat.roles == ["user", "a/b"] && flat.sessionID == nil)
        let signed = try JSONEncoder().encode(flat)
        #expect(try AccessTokenClaims(try FlatJSON(Array(signed))) == flat, "what authd writes, it reads")
    }

    @Test("values: strings with every escape and a surrogate pair, numbers in JSON's grammar, literals, string arrays")
    func values() throws {
        let json = try #require(
            read(
                #" { "s" : "\"\\\/\b\f\n\r\t\u0041\ud83d\ude00" , "n":-1.5e3, "z":0, "t":true, "f":false, "x":null, "a":[ ], "b":["1" ,"2"] } "#
            ))
        #expect(json["s"] == .string("\"\\/\u{8}\u{c}\n\r\tA😀"))
        #expect(json["n"] == .number(-1500) && json["z"] == .number(0))
        #expect(json["t"] == .bool(true) && json["f"] == .bool(false) && json["x"] == .null)
        #expect(json["a"] == .strings([]) && json["b"] == .strings(["1", "2"]) && json["missing"] == nil)
        #expect(read("{}")?.members.isEmpty == true)
    }

    @Test("a member object (a JWK, a cnf) keeps its string members and drops its other scalars")
    func memberObject() throws {
        let json = try #require(read(#"{"jwk":{"kty":"EC","ext":true,"key_ops":["verify"],"n":1,"x":"y"},"e":{}}"#))
        #expect(json["jwk"] == .object(["kty": "EC", "x": "y"]) && json["e"] == .object([:]))
    }

    @Test(
        "refused: duplicates, nesting, other arrays, bad numbers and strings, trailing bytes, non-objects",
        arguments: [
            #"{"a":"1","a":"2"}"#, #"{"a":{"b":{"c":"d"}}}"#, #"{"a":{"b":"1","b":"2"}}"#, #"{"a":{"b"}}"#,
            #"{"a":{"b":"c",}}"#, #"{"a":[["x"]]}"#, #"{"a":[1]}"#, #"{"a":[null]}"#,
            #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":+1}"#, #"{"a":1e}"#, #"{"a":-}"#, #"{"a":1e400}"#,
            #"{"a":NaN}"#, #"{"a":Infinity}"#, "{\"a\":" + String(repeating: "1", count: 40) + "}",
            "{\"a\":\"\u{1}\"}", #"{"a":"\x"}"#, #"{"a":"\u12"}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#,
            #"{"a":"\ud800\u0041"}"#, #"{"a":"x}"#, #"{"a":tru}"#, #"{"a":"1",}"#, #"{,}"#, #"{"a" "1"}"#,
            #"{"a":"1"} x"#, #"{"a":"1"}{}"#, #"["a"]"#, #""a""#, "", " ", "{", #"{a:"1"}"#, #"{'a':'1'}"#,
        ])
    func refused(_ text: String) {
        #expect(read(text) == nil)
    }

    @Test("numbers read exactly as Double(String) reads them: integers without strtod, the rest with it")
    func numbersAsDouble() throws {
        var generator = SystemRandomNumberGenerator()
        func digits(_ count: Int) -> String {
            let rest = (1..<count).map { _ in String(Int.random(in: 0...9, using: &generator)) }
            return String(Int.random(in: 1...9, using: &generator)) + rest.joined()
        }
        var texts = [
            "0", "-0", "1", "-1", "999999999999999", "-999999999999999", "1000000000000000", "123456789012345678",
        ]
        for _ in 0..<5_000 {
            var text = (Bool.random(using: &generator) ? "-" : "") + digits(Int.random(in: 1...18, using: &generator))
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: text += "." + digits(Int.random(in: 1...6, using: &generator))
            case 1:
                text +=
                    ["e", "E", "e+", "e-"].randomElement(using: &generator)!
                    + digits(Int.random(in: 1...2, using: &generator))
            default: break
            }
            if text.count <= 32 { texts.append(text) }
        }
        for text in texts {
            let expected = try #require(Double(text))
            guard expected.isFinite else { continue }
            let parsed = try #require(read("{\"n\":\(text)}"), "\(text)")
            guard case .number(let number)? = parsed["n"] else { throw Failure("\(text) is not a number") }
            #expect(number == expected && number.sign == expected.sign, "\(text)")
        }
    }

    @Test("names are compared whole: the sixteenth byte on, escapes decoded, each name at most once")
    func names() throws {
        let long = String(repeating: "n", count: 20)
        #expect(read(#"{"\#(long)":"1","\#(long)":"2"}"#) == nil, "a duplicate longer than 15 bytes")
        let both = try #require(read(#"{"\#(long)a":"1","\#(long)b":"2"}"#), "two long names differing at the end")
        #expect(both["\(long)a"] == .string("1") && both["\(long)b"] == .string("2") && both[long] == nil)
        let near = try #require(read(#"{"client_id":"1","client_ix":"2","abcdefghijklmno":"3","abcdefghijklmnp":"4"}"#))
        #expect(near["client_id"] == .string("1") && near["client_ix"] == .string("2"))
        #expect(near["abcdefghijklmno"] == .string("3") && near["abcdefghijklmnp"] == .string("4"))
        #expect(read(#"{"ab":"1","a\u0062":"2"}"#) == nil, "an escaped spelling of the same name")
        #expect(read(#"{"":"1","":"2"}"#) == nil && read(#"{"":"1"}"#)?[""] == .string("1"))
        #expect(read(#"{"é":"1","\u00e9":"2"}"#) == nil)
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test("invalid UTF-8 and over-long input are refused; deep nesting is refused, not recursed into")
    func bytes() {
        #expect((try? FlatJSON([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D])) == nil)
        #expect(
            (try? FlatJSON([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D])) == nil, "a surrogate")
        #expect(read("{\"a\":\"" + String(repeating: "x", count: 8200) + "\"}") == nil)
        #expect(read("{\"a\":" + String(repeating: "[", count: 100_000) + "}") == nil)
    }

    @Test("claims: required members with their types, aud a string or a list, dates under 10^15, null optional strings")
    func claimRules() throws {
        func claims(_ text: String) -> AccessTokenClaims? {
            guard let json = read(text) else { return nil }
            return try? AccessTokenClaims(json)
        }
        let base = #""iss":"i","sub":"1","name":"n","roles":[],"iat":1,"exp":2,"jti":"j""#
        #expect(claims("{\(base),\"aud\":[\"a\",\"b\"]}")?.audience == ["a", "b"])
        #expect(claims("{\(base),\"aud\":\"a\",\"iat\":1.9}") == nil, "a duplicate iat")
        #expect(
            claims(
                "{\"aud\":\"a\",\"iss\":\"i\",\"sub\":\"1\",\"name\":\"n\",\"roles\":[],\"iat\":1.9,\"exp\":2,\"jti\":\"j\"}"
            )?.issuedAt == 1)
        #expect(claims("{\(base),\"aud\":\"a\",\"extra\":[\"x\"],\"more\":true}") != nil, "unused members are ignored")
        for broken in [
            "{\(base)}", "{\(base),\"aud\":1}", "{\(base),\"aud\":\"a\",\"nbf\":null}",
            "{\(base),\"aud\":\"a\",\"sid\":1}", "{\(base),\"aud\":\"a\",\"nbf\":1e15}",
            "{\"aud\":\"a\",\"iss\":\"i\",\"sub\":1,\"name\":\"n\",\"roles\":[],\"iat\":1,\"exp\":2,\"jti\":\"j\"}",
            "{\"aud\":\"a\",\"iss\":\"i\",\"sub\":\"1\",\"name\":\"n\",\"roles\":\"user\",\"iat\":1,\"exp\":2,\"jti\":\"j\"}",
            "{\"aud\":\"a\",\"iss\":\"i\",\"sub\":\"1\",\"name\":\"n\",\"roles\":[],\"iat\":\"1\",\"exp\":2,\"jti\":\"j\"}",
        ] {
            #expect(claims(broken) == nil, "\(broken)")
        }
    }
}
