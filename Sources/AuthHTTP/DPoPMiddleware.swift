import AuthCore
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    static let dpop = HTTPField.Name("DPoP")!
    static let dpopNonce = HTTPField.Name("DPoP-Nonce")!
}

/// RFC 9449 for every route at once: a request with a `DPoP` header, or an `Authorization: DPoP`
/// token, has its proof checked against the request's method and public URL (`issuer` and the
/// path) before its handler runs, which then runs with the outcome in `ProofOfPossession.current`:
/// the token authority refuses a bound token without a good proof by its key and binds what it
/// issues. A 401 to a `DPoP` authorization challenges with the `DPoP` scheme (§7.1), and every
/// answer to a proof carries the current nonce when nonces are required (§8).
struct DPoPMiddleware<Context: RequestContext>: RouterMiddleware {
    let proofs: DPoPVerifier
    /// The issuer URL without a trailing slash: what `htu` must start with.
    let base: String

    /// The algorithms a proof may be signed with, for the challenge.
    static var algorithms: String { "ES256 EdDSA RS256" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let presented = request.headers[.authorization].flatMap { HTTPFrontEnd.credentials($0, scheme: "dpop") }
        let headers = request.headers[values: .dpop]
        guard presented != nil || !headers.isEmpty else { return try await next(request, context) }
        // §4.3: exactly one proof.
        let possession =
            headers.count > 1
            ? ProofOfPossession.refused(
                AuthError(.invalidDPoPProof, "a request carries one DPoP proof"), accessToken: presented)
            : await proofs.check(
                proof: headers.first, method: request.method.rawValue, url: base + request.uri.path,
                accessToken: presented)
        var response = try await ProofOfPossession.$current.withValue(possession) { try await next(request, context) }
        if presented != nil, response.status == .unauthorized {
            response.headers[.wwwAuthenticate] = Self.challenge(replacing: response.headers[.wwwAuthenticate])
        }
        if let nonce = proofs.nonce() { response.headers[.dpopNonce] = nonce }
        return response
    }

    /// The `DPoP` challenge carrying the `error` of the route's own (`Bearer`) challenge.
    static func challenge(replacing challenge: String?) -> String {
        let marker = #"error=""#
        guard let challenge, let start = challenge.utf8.firstRange(of: marker.utf8)?.upperBound,
            let end = challenge.utf8[start...].firstIndex(of: UInt8(ascii: "\""))
        else { return #"DPoP algs="\#(algorithms)""# }
        return #"DPoP algs="\#(algorithms)", error="\#(challenge[start..<end])""#
    }
}
