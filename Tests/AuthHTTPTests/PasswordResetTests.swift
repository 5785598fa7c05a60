import AuthCore
import AuthTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("password reset by mail")
struct PasswordResetTests {
    @Test("requests and resets from one address are limited: 429 past the burst")
    func perAddress() async throws {
        let stack = try await TestStack(
            backing: .memory, mail: RecordingMail(), passwordReset: .init(perAddress: .init(burst: 3, perSecond: 0.001))
        )
        try await withServer(stack: stack) { client in
            var statuses: [Int] = []
            for _ in 0..<3 {
                statuses.append(Int(try await client.post("/password/forgot", json: #"{"login":"ann"}"#).status.code))
            }
            let reset = try await client.post(
                "/password/reset",
                json: #"{"token":"\#(String(repeating: "A", count: 43))","new_password":"long enough pw"}"#)
            #expect(statuses == [202, 202, 202] && reset.errorCode == "rate_limited")
        }
    }

    @Test("without mail both routes answer 503 mail_unavailable")
    func off() async throws {
        try await withServer { client in
            let forgot = try await client.post("/password/forgot", json: #"{"login":"ann"}"#)
            #expect(forgot.status == .serviceUnavailable && forgot.errorCode == "mail_unavailable")
            let reset = try await client.post(
                "/password/reset", json: #"{"token":"x","new_password":"long enough pw"}"#)
            #expect(reset.errorCode == "mail_unavailable")
        }
    }

    @Test("forgot: the same 202 for any name; only an account's owner gets a token; reset: once, then sessions end")
    func flow() async throws {
        let stack = try await TestStack(backing: .memory, mail: RecordingMail(), passwordReset: .init(perAddress: nil))
        let mailbox = Mailbox()
        try await withServer(stack: stack) { client in
            let name = "reset\(Int.random(in: 1000...9999))"
            #expect(try await client.register(name).status == .created)
            let refresh = try #require(try await client.login(name).json["refresh_token"] as? String)
            let known = try await client.post("/password/forgot", json: #"{"login":"\#(name.uppercased())"}"#)
            let unknown = try await client.post("/password/forgot", json: #"{"login":"nobody-\#(name)"}"#)
            let byMail = try await client.post("/password/forgot", json: #"{"login":"\#(name)@example.com"}"#)
            #expect(known.status == .accepted && unknown.status == .accepted && byMail.status == .accepted)
            #expect(known.bodyText == unknown.bodyText, "nothing tells which names exist")
            #expect(try await client.post("/password/forgot", json: #"{"login":"a b"}"#).errorCode == "invalid_input")
            #expect(
                try await client.post("/password/forgot", json: #"{"login":"\#(name)","x":1}"#).status == .badRequest)

            try await deliverMail(stack, to: mailbox)
            let tokens = mailbox.all.compactMap { $0["reset"] }
            #expect(
                tokens.count == 2 && mailbox.all.allSatisfy { $0["to"] == name },
                "one per request that named the account")
            let token = try #require(tokens.first)

            let weak = try await client.post("/password/reset", json: #"{"token":"\#(token)","new_password":"short"}"#)
            #expect(weak.errorCode == "weak_password")
            let reset = try await client.post(
                "/password/reset", json: #"{"token":"\#(token)","new_password":"a brand new pw"}"#)
            #expect(reset.status == .ok, "the weak attempt did not use the token")
            #expect(try await client.login(name).status == .unauthorized, "the old password is gone")
            #expect(try await client.login(name, password: "a brand new pw").status == .ok)
            let refreshed = try await client.post("/token/refresh", json: #"{"refresh_token":"\#(refresh)"}"#)
            #expect(refreshed.errorCode == "invalid_refresh_token", "every session ended")
            for used in [token, tokens[1], String(repeating: "A", count: 43), "short"] {
                let again = try await client.post(
                    "/password/reset", json: #"{"token":"\#(used)","new_password":"another new pw"}"#)
                #expect(again.status == .unauthorized && again.errorCode == "invalid_reset_token")
            }
            try await deliverMail(stack, to: mailbox)
            #expect(mailbox.all.last?["changed"] == name, "the owner is told")
        }
    }

    @Test("forgot: an account's name, its address and a name nobody has take the same time (within 10 %)")
    func timing() async throws {
        let stack = try await TestStack(mail: RecordingMail(), passwordReset: .init(perAddress: nil))
        let (user, _) = try await stack.account()
        try await withServer(stack: stack) { client in
            let clock = ContinuousClock()
            let logins = [user.username, user.email, "nobody-\(user.username)"]
            // Each round asks for all three back to back, rotating which goes first, and compares
            // them within the round: a burst of load on a shared machine slows a round, not one
            // login. The median of the rounds' ratios decides. A leak (a database look-up for
            // accounts only) shows in every try; noise passes one of three.
            var ratios: [Double] = []
            for _ in 0..<3 {
                var rounds: [(name: Double, address: Double)] = []
                for index in 0..<200 {
                    var took: [Double] = [0, 0, 0]
                    for offset in 0..<3 {
                        let which = (index + offset) % 3
                        var status = HTTPResponse.Status.ok
                        let elapsed = try await clock.measure {
                            status = try await client.post(
                                "/password/forgot", json: #"{"login":"\#(logins[which])"}"#
                            ).status
                        }
                        #expect(status == .accepted)
                        took[which] = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
                    }
                    rounds.append((took[0] / took[2], took[1] / took[2]))
                }
                let byName = rounds.map(\.name).sorted()[rounds.count / 2]
                let byAddress = rounds.map(\.address).sorted()[rounds.count / 2]
                print(
                    "timing: /password/forgot, median ratio to an unknown name: by name \(byName), by address \(byAddress)"
                )
                ratios = [byName, byAddress]
                if ratios.allSatisfy({ abs($0 - 1) < 0.10 }) { break }
            }
            #expect(ratios.allSatisfy { abs($0 - 1) < 0.10 }, "\(ratios)")
        }
    }
}
