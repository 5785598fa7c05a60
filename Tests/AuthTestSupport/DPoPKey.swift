public import AuthCore
public import AuthCrypto
public import Foundation

/// A DPoP client's key pair and the proofs it signs (RFC 9449 §4.2), for tests; every member of a
/// proof can be overridden to make the bad ones.
public struct DPoPKey: Sendable {
    public let key: SigningKey

    public init(_ algorithm: JWSAlgorithm = .es256) throws {
        key = try SigningKey.generate(algorithm)
    }

    /// The `jkt` of tokens bound to this key.
    public var thumbprint: String { (try? key.thumbprint()) ?? "" }

    /// A header or claim value that leaves the member out.
    public static let absent = "\u{0}absent"

    static func isAbsent(_ value: any Sendable) -> Bool { (value as? String) == absent }

    /// A proof for `method` on `url`; `header` and `claims` entries replace (or, as `absent`, drop)
    /// the defaults'.
    public func proof(
        _ method: String, _ url: String, accessToken: String? = nil, issuedAt: Int64 = UnixTime.now(),
        id: String = UUID().uuidString, nonce: String? = nil, header: [String: any Sendable] = [:],
        claims: [String: any Sendable] = [:]
    ) throws -> String {
        var head: [String: Any] = ["typ": "dpop+jwt", "alg": key.algorithm.rawValue, "jwk": try key.publicJWK()]
        var body: [String: Any] = ["jti": id, "htm": method, "htu": url, "iat": issuedAt]
        if let accessToken { body["ath"] = try DPoPProof.hash(ofAccessToken: accessToken) }
        if let nonce { body["nonce"] = nonce }
        for (name, value) in header { head[name] = Self.isAbsent(value) ? nil : value as Any }
        for (name, value) in claims { body[name] = Self.isAbsent(value) ? nil : value as Any }
        let input =
            Base64.url.encode(try JSONSerialization.data(withJSONObject: head)) + "."
            + Base64.url.encode(try JSONSerialization.data(withJSONObject: body))
        return input + "." + Base64.url.encode(try key.sign(Array(input.utf8)))
    }
}
