import Testing

@testable import AuthHookServers

@Suite("Dovecot's authentication protocol")
struct DovecotAuthProtocolTests {
    @Test("the handshake names the version, the mechanisms, the IDs and ends with DONE")
    func handshake() {
        let lines = DovecotAuthProtocol.handshake(processID: 7, connectionID: 3, cookie: [0xAB, 0x01])
            .split(separator: "\n")
        #expect(lines.first == "VERSION\t1\t2")
        #expect(lines.contains("MECH\tPLAIN\tplaintext"))
        #expect(lines.contains("MECH\tXOAUTH2"))
        #expect(lines.suffix(4) == ["SPID\t7", "CUID\t3", "COOKIE\tab01", "DONE"])
    }

    @Test("values are escaped with \\x01 and read back")
    func escaping() {
        let value = "a\tb\nc\rd\u{1}e"
        let escaped = DovecotAuthProtocol.escape(value)
        #expect(!escaped.contains("\t") && !escaped.contains("\n"))
        #expect(DovecotAuthProtocol.fields(Array("x\t\(escaped)".utf8)) == ["x", value])
        #expect(DovecotAuthProtocol.fields(Array("x\t\u{1}z".utf8)) == nil, "an unknown escape")
        #expect(DovecotAuthProtocol.fields(Array("x\t\u{1}".utf8)) == nil, "an escape cut short")
        #expect(DovecotAuthProtocol.fields([0x41, 0xFF]) == nil, "not UTF-8")
    }

    @Test("AUTH reads its ID, mechanism, service, rip and resp, and ignores parameters it does not know")
    func authRequest() throws {
        let fields = [
            "1", "PLAIN", "service=smtp", "nologin", "lip=127.0.0.1", "rip=192.0.2.1", "secured", "resp=AGEAYg==",
        ]
        let request = try DovecotAuthProtocol.authRequest(fields[...]).get()
        #expect(request.id == 1 && request.mechanism == "PLAIN" && request.service == "smtp")
        #expect(request.remoteAddress == "192.0.2.1")
        #expect(request.initialResponse == [0, 0x61, 0, 0x62])
        let empty = try DovecotAuthProtocol.authRequest(["2", "LOGIN", "service=smtp", "resp="][...]).get()
        #expect(empty.initialResponse == [])
    }

    @Test(
        "malformed AUTH lines are refused, with the ID when there is one",
        arguments: [
            (["x", "PLAIN", "service=smtp"], nil), (["0", "PLAIN", "service=smtp"], nil), ([], nil),
            (["5", "PLAIN"], 5), (["6", "PLAIN", "nologin"], 6), (["7", "PLAIN", "service=smtp", "resp=%%"], 7),
            (["8", "PLAIN", "service=smtp", "resp"], 8),
        ] as [([String], UInt32?)])
    func malformed(fields: [String], id: UInt32?) {
        guard case .failure(let error) = DovecotAuthProtocol.authRequest(fields[...]) else {
            Issue.record("accepted \(fields)")
            return
        }
        #expect(error.id == id)
    }
}

@Suite("SASL messages")
struct SASLMessageTests {
    @Test("PLAIN: authcid and password; an authzid only when it is the same user")
    func plain() {
        #expect(SASLMessage.plain(Array("\0alice\0pw".utf8)) == .init(user: "alice", password: "pw"))
        #expect(SASLMessage.plain(Array("alice\0alice\0pw".utf8)) == .init(user: "alice", password: "pw"))
        #expect(SASLMessage.plain(Array("bob\0alice\0pw".utf8)) == nil)
        #expect(SASLMessage.plain(Array("\0\0pw".utf8)) == nil)
        #expect(SASLMessage.plain(Array("\0alice".utf8)) == nil)
        #expect(SASLMessage.plain([0, 0x61, 0, 0xFF]) == nil)
    }

    @Test("XOAUTH2 and OAUTHBEARER: the user and the bearer token")
    func bearer() {
        #expect(
            SASLMessage.xoauth2(Array("user=alice\u{1}auth=Bearer t.k\u{1}\u{1}".utf8))
                == .init(user: "alice", token: "t.k"))
        #expect(SASLMessage.xoauth2(Array("user=alice\u{1}auth=Basic x\u{1}\u{1}".utf8)) == nil)
        #expect(SASLMessage.xoauth2(Array("auth=Bearer t\u{1}\u{1}".utf8)) == nil)
        #expect(
            SASLMessage.oauthBearer(Array("n,a=a=2Cb,\u{1}host=h\u{1}auth=Bearer t.k\u{1}\u{1}".utf8))
                == .init(user: "a,b", token: "t.k"))
        #expect(SASLMessage.oauthBearer(Array("n,,\u{1}auth=Bearer t\u{1}\u{1}".utf8)) == .init(user: nil, token: "t"))
        #expect(SASLMessage.oauthBearer(Array("p=tls-unique,,\u{1}auth=Bearer t\u{1}\u{1}".utf8)) == nil)
        #expect(SASLMessage.oauthBearer(Array("n,a=x,\u{1}auth=Bearer \u{1}\u{1}".utf8)) == nil)
    }
}
