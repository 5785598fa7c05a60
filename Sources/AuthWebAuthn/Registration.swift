public import AuthCrypto

/// A new credential (WebAuthn §7.1), verified: what the relying party stores. The attestation is
/// `none`, or `packed` self-attestation (the credential's own key signs, with its own algorithm).
/// `packed` with a certificate chain (`x5c`) is refused until chains are checked against
/// configured roots.
public struct Registration: Hashable, Sendable {
    public let credentialID: [UInt8]
    /// The COSE_Key as the authenticator sent it: stored, and read at each sign-in.
    public let publicKey: CBOR
    public let algorithm: JWSAlgorithm
    public let aaguid: [UInt8]
    public let signCount: UInt32
    public let flags: AuthenticatorData.Flags
    /// `none` or `packed`.
    public let format: String

    /// `clientDataJSON` and `attestationObject` as the browser returns them from
    /// `navigator.credentials.create`; `challenge` the one issued for this ceremony.
    public static func verify(
        clientDataJSON: [UInt8], attestationObject: [UInt8], challenge: [UInt8], relyingParty: RelyingParty,
        userVerification: UserVerification
    ) throws(WebAuthnError) -> Registration {
        try ClientData(json: clientDataJSON).check(
            type: "webauthn.create", challenge: challenge, relyingParty: relyingParty)
        let object: CBOR
        do {
            object = try CBOR(decoding: attestationObject)
        } catch {
            throw WebAuthnError(.malformed, "the attestation object is not CBOR: \(error.reason)")
        }
        guard let format = object["fmt"]?.string, let statement = object["attStmt"]?.entries,
            let bytes = object["authData"]?.byteString
        else { throw WebAuthnError(.malformed, "the attestation object lacks fmt, attStmt or authData") }
        let data: AuthenticatorData
        do {
            data = try AuthenticatorData(bytes)
        } catch {
            throw WebAuthnError(.malformed, error.reason)
        }
        try Assertion.checkFlags(data, relyingParty: relyingParty, userVerification: userVerification)
        guard let credential = data.attestedCredential else {
            throw WebAuthnError(.malformed, "no credential in the authenticator data")
        }
        let key: PublicKey
        do {
            key = try COSEKey.publicKey(credential.publicKey)
        } catch {
            throw WebAuthnError(.malformed, error.reason)
        }
        switch format {
        case "none":
            guard statement.isEmpty else { throw WebAuthnError(.badAttestation, "a none attestation has no statement") }
        case "packed":
            try Self.checkPacked(statement, key: key, signed: bytes + (try ClientData.hash(clientDataJSON)))
        default:
            throw WebAuthnError(.badAttestation, "the attestation format \(format) is not accepted")
        }
        return Registration(
            credentialID: credential.id, publicKey: credential.publicKey, algorithm: key.algorithm,
            aaguid: credential.aaguid, signCount: data.signCount, flags: data.flags, format: format)
    }

    /// WebAuthn §8.2's self attestation: `alg` the credential key's, `sig` by that key.
    private static func checkPacked(_ statement: [CBOR: CBOR], key: PublicKey, signed: [UInt8]) throws(WebAuthnError) {
        guard statement[.text("x5c")] == nil else {
            throw WebAuthnError(.badAttestation, "packed attestation with a certificate chain is not accepted yet")
        }
        guard let identifier = statement[.text("alg")]?.integer, COSEKey.algorithms[identifier] == key.algorithm,
            let signature = statement[.text("sig")]?.byteString, statement.count == 2
        else { throw WebAuthnError(.badAttestation, "a packed self attestation has the key's alg and a sig") }
        guard key.verify(signature, of: signed, format: .der) else {
            throw WebAuthnError(.badAttestation, "the attestation signature does not verify")
        }
    }
}
