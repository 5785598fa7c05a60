import AuthCore
import AuthWebAuthn
import Configuration

extension Settings {
    /// `webauthn.rp_id`, `webauthn.origins`, `webauthn.user_verification`: nil (passkeys off)
    /// without an RP ID. The origins default to `oauth.issuer`'s; each must be https (http only on
    /// localhost) on the RP ID or a host under it, as browsers require.
    static func passkeyPolicy(_ config: ConfigReader, issuer: String) throws -> PasskeyPolicy? {
        let id = config.string(forKey: "webauthn.rp_id", default: "").lowercased()
        guard !id.isEmpty else { return nil }
        let issuerOrigin = issuer.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).prefix(3)
            .joined(separator: "/")
        let origins = config.stringArray(forKey: "webauthn.origins", default: [issuerOrigin])
        for origin in origins {
            let parts = origin.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "https:" || parts[0] == "http:", parts[1].isEmpty else {
                throw ConfigurationError("webauthn.origins holds origins such as https://login.example.com")
            }
            let host = parts[2].split(separator: ":").first.map { $0.lowercased() } ?? ""
            guard host == id || host.hasSuffix("." + id) else {
                throw ConfigurationError("each of webauthn.origins must be on webauthn.rp_id or a host under it")
            }
            guard parts[0] == "https:" || host == "localhost" else {
                throw ConfigurationError("webauthn.origins must be https (http only on localhost)")
            }
        }
        let mode = config.string(forKey: "webauthn.user_verification", default: UserVerification.preferred.rawValue)
        guard let verification = UserVerification(rawValue: mode) else {
            throw ConfigurationError("webauthn.user_verification must be required, preferred or discouraged")
        }
        return PasskeyPolicy(
            relyingParty: RelyingParty(id: id, origins: Set(origins)), userVerification: verification)
    }
}
