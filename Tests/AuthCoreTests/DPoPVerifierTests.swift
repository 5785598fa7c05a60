import AuthCore
import AuthCrypto
import AuthTestSupport
import Testing

@Suite("DPoP: a proof judged against its request (RFC 9449 §4.3), on every instance")
struct DPoPVerifierTests {
    static let url = "https://authd.example/protected"

    func refusal(_ possession: ProofOfPossession) -> AuthError.Code? {
        guard case .refused(let error, _) = possession else { return nil }
        return error.code
    }

    @Test("a fresh proof for this method and URL proves its key; the same proof again is refused")
    func provenOnce() async throws {
        let stack = try await TestStack(backing: .memory)
        let client = try DPoPKey()
        let proof = try client.proof("GET", Self.url, accessToken: "token")
        let first = await stack.assembly.proofs.check(proof: proof, method: "GET", url: Self.url, accessToken: "token")
        #expect(first == .proven(key: client.thumbprint, accessToken: "token"))
        let again = await stack.assembly.proofs.check(proof: proof, method: "GET", url: Self.url, accessToken: "token")
        #expect(refusal(again) == .invalidDPoPProof)
        await stack.shutdown()
    }

    @Test("a proof replayed to another instance on the same database is refused there")
    func replayAcrossInstances() async throws {
        let url = try await TestDatabase.migratedURL()
        let one = try await TestStack(databaseURL: url)
        let two = try await TestStack(databaseURL: url)
        let proof = try DPoPKey().proof("POST", "https://authd.example/oauth2/token")
        let results = await withTaskGroup(of: ProofOfPossession.self) { group in
            for stack in [one, two] {
                group.addTask {
                    await stack.assembly.proofs.check(
                        proof: proof, method: "POST", url: "https://authd.example/oauth2/token", accessToken: nil)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.filter { if case .proven = $0 { true } else { false } }.count == 1, "\(results)")
        await one.shutdown()
        await two.shutdown()
    }

    @Test("another method, another URL, a stale or future iat, a missing or wrong ath are refused; no proof too")
    func mismatches() async throws {
        let stack = try await TestStack(backing: .memory)
        let proofs = stack.assembly.proofs
        let client = try DPoPKey()
        let now = UnixTime.now()
        let cases: [(String?, String, String, String?)] = [
            (try client.proof("POST", Self.url, accessToken: "t"), "GET", Self.url, "t"),
            (try client.proof("GET", "https://other.example/protected", accessToken: "t"), "GET", Self.url, "t"),
            (try client.proof("GET", "https://authd.example/me", accessToken: "t"), "GET", Self.url, "t"),
            (try client.proof("GET", Self.url, accessToken: "t", issuedAt: now - 120), "GET", Self.url, "t"),
            (try client.proof("GET", Self.url, accessToken: "t", issuedAt: now + 60), "GET", Self.url, "t"),
            (try client.proof("GET", Self.url), "GET", Self.url, "t"),
            (try client.proof("GET", Self.url, accessToken: "other"), "GET", Self.url, "t"),
            (nil, "GET", Self.url, "t"),
            ("not.a.proof", "GET", Self.url, "t"),
        ]
        for (proof, method, url, token) in cases {
            let outcome = await proofs.check(proof: proof, method: method, url: url, accessToken: token)
            #expect(refusal(outcome) == .invalidDPoPProof, "\(method) \(url)")
        }
        await stack.shutdown()
    }

    @Test("htu compares as RFC 9449 says: case of scheme and host, default port, query and fragment ignored")
    func urlComparison() async throws {
        let stack = try await TestStack(backing: .memory)
        let client = try DPoPKey()
        for claimed in [
            "HTTPS://Authd.Example/protected", "https://authd.example:443/protected",
            "https://authd.example/protected?x=1",
            "https://authd.example/protected#f",
        ] {
            let outcome = await stack.assembly.proofs.check(
                proof: try client.proof("GET", claimed), method: "GET", url: Self.url, accessToken: nil)
            #expect(outcome == .proven(key: client.thumbprint, accessToken: nil), "\(claimed)")
        }
        for claimed in [
            "https://authd.example/Protected", "http://authd.example/protected", "https://authd.example:8443/protected",
        ] {
            let outcome = await stack.assembly.proofs.check(
                proof: try client.proof("GET", claimed), method: "GET", url: Self.url, accessToken: nil)
            #expect(refusal(outcome) == .invalidDPoPProof, "\(claimed)")
        }
        await stack.shutdown()
    }

    @Test("with nonces required a proof needs the current one: use_dpop_nonce without it, proven with it")
    func nonces() async throws {
        let stack = try await TestStack(backing: .memory, dpop: .init(requireNonce: true))
        let proofs = stack.assembly.proofs
        let client = try DPoPKey()
        let nonce = try #require(proofs.nonce())
        for bad in [nil, "made-up", String(nonce.reversed())] {
            let outcome = await proofs.check(
                proof: try client.proof("GET", Self.url, nonce: bad), method: "GET", url: Self.url, accessToken: nil)
            #expect(refusal(outcome) == .useDPoPNonce)
        }
        let good = await proofs.check(
            proof: try client.proof("GET", Self.url, nonce: nonce), method: "GET", url: Self.url, accessToken: nil)
        #expect(good == .proven(key: client.thumbprint, accessToken: nil))
        await stack.shutdown()
        let plain = try await TestStack(backing: .memory)
        #expect(plain.assembly.proofs.nonce() == nil, "no nonces by default")
        await plain.shutdown()
    }
}
