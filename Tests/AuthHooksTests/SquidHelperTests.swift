import AuthLineProtocol
import Testing

@testable import AuthHooks

@Suite("Squid's helper protocol")
struct SquidHelperTests {
    @Test("a request with a channel ID is split and URL-unescaped")
    func channelAndEscapes() throws {
        let request = try SquidHelper.parse(Array("7 al%20ice p%25ss%00w".utf8), concurrent: true).get()
        #expect(request.channel == "7")
        #expect(request.values == [Array("al ice".utf8), Array("p%ss".utf8) + [0, UInt8(ascii: "w")]])
        let plain = try SquidHelper.parse(Array("bob secret".utf8), concurrent: false).get()
        #expect(plain.channel == nil)
        #expect(plain.values.count == 2)
    }

    @Test(
        "malformed lines are refused, with the channel when it could be read",
        arguments: [
            ("x user pass", nil, "no channel ID"),
            ("", nil, "no channel ID"),
            ("3 user pa%zzss", "3", "malformed URL escape"),
            ("3 user pa%2", "3", "malformed URL escape"),
            ("4 us\u{0}er pass", "4", "control characters"),
            ("5 user pass\r", "5", "control characters"),
        ] as [(String, String?, String)])
    func refusals(line: String, channel: String?, message: String) {
        guard case .failure(let refusal) = SquidHelper.parse(Array(line.utf8), concurrent: true) else {
            Issue.record("accepted \(line)")
            return
        }
        #expect(refusal.channel == channel)
        #expect(refusal.message.hasPrefix(message))
    }

    @Test("an over-long line is refused on its channel")
    func overLong() {
        let line = Array("9 user ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: SquidHelper.maximumLineLength)
        guard case .failure(let refusal) = SquidHelper.parse(line, concurrent: true) else {
            Issue.record("accepted")
            return
        }
        #expect(refusal == SquidHelper.Refusal(channel: "9", message: "line too long"))
    }

    @Test("reply values are quoted so that nothing in them ends the line")
    func replyQuoting() {
        #expect(SquidHelper.reply(channel: "2", .ok, [("user", "alice")]) == "2 OK user=\"alice\"\n")
        #expect(
            SquidHelper.reply(channel: nil, .err, [("message", "a \"b\" \\c\r\nd")])
                == "ERR message=\"a \\\"b\\\" \\\\c\\r\\nd\"\n")
        #expect(SquidHelper.reply(channel: nil, .bh) == "BH\n")
    }
}

@Suite("Squid helpers' decisions")
struct SquidDialectTests {
    /// The request the plan asks for, and its answer to `replies`.
    func ask(_ plan: HelperPlan, _ replies: [LineReply?]) -> ([LineRequest], String)? {
        guard case .ask(let requests, let answer) = plan else { return nil }
        return (requests, answer(replies))
    }

    @Test("basic auth asks AUTH of the service's stack and answers by authd's reply")
    func basicAuth() throws {
        let dialect = SquidBasicAuth(service: "squid", concurrent: true, forwardsClientAddress: false)
        let plan = dialect.plan(Array("0 alice correct%20horse".utf8))
        let (requests, ok) = try #require(ask(plan, [LineReply(.ok, id: "1", [("user", "alice"), ("uid", "1")])]))
        #expect(requests.map(\.command) == ["AUTH"])
        #expect(requests[0].fields == ["service=squid", "user=alice", "resp=Y29ycmVjdCBob3JzZQ"])
        #expect(ok == "0 OK user=\"alice\"\n")
        #expect(ask(plan, [.no("1", "auth_failed")])?.1 == "0 ERR message=\"authentication failed\"\n")
        #expect(ask(plan, [.no("1", "forbidden")])?.1 == "0 ERR message=\"not allowed to use this proxy\"\n")
        #expect(ask(plan, [.temp("1", "rate_limited")])?.1 == "0 BH message=\"authd: rate_limited\"\n")
        #expect(ask(plan, [.no("1", "unknown_service")])?.1 == "0 BH message=\"authd: unknown_service\"\n")
        #expect(ask(plan, [nil])?.1 == "0 BH message=\"authd is unreachable\"\n")
    }

    @Test("basic auth passes a third value on as rip= only as a line client")
    func clientAddress() throws {
        let client = SquidBasicAuth(service: "squid", concurrent: false, forwardsClientAddress: true)
        let (requests, _) = try #require(ask(client.plan(Array("alice pw 10.1.2.3".utf8)), [nil]))
        #expect(requests[0].fields == ["service=squid", "user=alice", "rip=10.1.2.3", "resp=cHc"])
        guard case .answer(let text, _) = client.plan(Array("alice pw not-an-ip".utf8)) else {
            Issue.record("asked authd")
            return
        }
        #expect(text.hasPrefix("BH "))
        let anonymous = SquidBasicAuth(service: "squid", concurrent: false, forwardsClientAddress: false)
        guard case .answer(let refused, let log) = anonymous.plan(Array("alice pw 10.1.2.3".utf8)) else {
            Issue.record("asked authd")
            return
        }
        #expect(refused == "BH message=\"expected user and password, got 3 values\"\n")
        #expect(log != nil)
    }

    @Test("a missing password or a non-UTF-8 user never reaches authd", arguments: ["1 alice", "1", "1 a%FFb pw"])
    func badCredentials(line: String) {
        let dialect = SquidBasicAuth(service: "squid", concurrent: true, forwardsClientAddress: false)
        guard case .answer(let text, _) = dialect.plan(Array(line.utf8)) else {
            Issue.record("asked authd for \(line)")
            return
        }
        #expect(text.hasPrefix("1 BH ") || text.hasPrefix("1 ERR "))
    }

    @Test("the token ACL verifies the bearer token and checks the acl's role over --role")
    func tokenACL() throws {
        let dialect = SquidTokenACL(role: "user", concurrent: true)
        let ok = LineReply(.ok, id: "1", [("user", "alice"), ("roles", "user")])
        let (requests, answer) = try #require(
            ask(dialect.plan(Array("3 Bearer%20abc.def admin".utf8)), [ok, .no("2", "forbidden")]))
        #expect(requests.map(\.command) == ["VERIFY", "HASROLE"])
        #expect(requests[1].fields == ["abc.def", "admin"])
        #expect(answer == "3 ERR message=\"role admin required\" user=\"alice\"\n")
        let (defaulted, granted) = try #require(
            ask(dialect.plan(Array("4 abc.def -".utf8)), [ok, LineReply(.ok, id: "2")]))
        #expect(defaulted[1].fields == ["abc.def", "user"])
        #expect(granted == "4 OK user=\"alice\"\n")
        #expect(
            ask(dialect.plan(Array("5 abc".utf8)), [.no("1", "expired"), .no("2", "expired")])?.1
                == "5 ERR message=\"token expired\"\n")
        #expect(ask(dialect.plan(Array("6 abc".utf8)), [ok, nil])?.1 == "6 BH message=\"authd is unreachable\"\n")
        #expect(
            ask(dialect.plan(Array("7 abc".utf8)), [.temp("1", "unavailable"), nil])?.1
                == "7 BH message=\"authd: unavailable\"\n")
    }

    @Test("no token, no question", arguments: ["1 -", "1 Bearer%20", "1 %FF"])
    func noToken(line: String) {
        guard case .answer(let text, _) = SquidTokenACL(role: nil, concurrent: true).plan(Array(line.utf8)) else {
            Issue.record("asked authd for \(line)")
            return
        }
        #expect(text == "1 ERR message=\"no bearer token\"\n")
    }
}
