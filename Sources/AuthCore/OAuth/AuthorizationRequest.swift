import AuthCrypto

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The parameters of `GET|POST /oauth2/authorize` as the front end read them (query or form), before
/// any check. Unknown parameters are not here: OpenID Connect Core §3.1.2.1 says to ignore them.
public struct AuthorizationParameters: Hashable, Sendable, Codable {
    public var responseType: String?
    public var clientID: String?
    public var redirectURI: String?
    public var scope: String?
    public var state: String?
    public var nonce: String?
    public var codeChallenge: String?
    public var codeChallengeMethod: String?
    public var prompt: String?
    public var maxAge: String?
    public var loginHint: String?
    /// OpenID Connect §6: request objects, which authd does not support.
    public var request: String?
    public var requestURI: String?
    /// OAuth 2.0 Multiple Response Type Encoding Practices §2.1: `query` (the default for `code`)
    /// or `form_post` (OAuth 2.0 Form Post Response Mode).
    public var responseMode: String?
    /// Set by authd, never read from a request: the parameters came from a pushed request
    /// (RFC 9126), checked when the client pushed them.
    public var pushed: Bool?

    public init(
        responseType: String? = nil, clientID: String? = nil, redirectURI: String? = nil, scope: String? = nil,
        state: String? = nil, nonce: String? = nil, codeChallenge: String? = nil, codeChallengeMethod: String? = nil,
        prompt: String? = nil, maxAge: String? = nil, loginHint: String? = nil, request: String? = nil,
        requestURI: String? = nil, responseMode: String? = nil
    ) {
        self.responseMode = responseMode
        self.responseType = responseType
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.scope = scope
        self.state = state
        self.nonce = nonce
        self.codeChallenge = codeChallenge
        self.codeChallengeMethod = codeChallengeMethod
        self.prompt = prompt
        self.maxAge = maxAge
        self.loginHint = loginHint
        self.request = request
        self.requestURI = requestURI
    }
}

/// OpenID Connect Core §3.1.2.1 `prompt` values authd acts on (`select_account` is accepted and
/// needs nothing: a browser has one account here).
public enum Prompt: String, Hashable, Sendable, CaseIterable {
    case none, login, consent
    case selectAccount = "select_account"
}

/// How the authorization response reaches the client's redirect URI.
public enum ResponseMode: String, Hashable, Sendable, CaseIterable {
    /// A redirect with the parameters in the query.
    case query
    /// A page whose form posts the parameters to the redirect URI (OAuth 2.0 Form Post Response
    /// Mode): they stay out of the URL, its history and its logs.
    case formPost = "form_post"
}

/// A checked authorization request: the client, the exact redirect URI it registered, the scopes
/// granted, and what the login and consent steps must honour.
public struct AuthorizationRequest: Hashable, Sendable {
    public var client: OAuthClient
    public var redirectURI: String
    public var scopes: [String]
    public var state: String?
    public var nonce: String?
    /// RFC 7636: the S256 challenge, when the client sent one (required of public clients).
    public var codeChallenge: String?
    public var prompts: Set<Prompt>
    /// Seconds since the user's last authentication after which they must authenticate again.
    public var maxAge: Int64?
    public var loginHint: String?
    public var responseMode: ResponseMode = .query

    /// An OpenID Connect request: the code's exchange also returns an ID token.
    public var isOpenID: Bool { scopes.contains("openid") }

    /// The error `code` for this request's client, sent the way it asked for its response.
    public func error(_ code: AuthorizationError.Code, _ description: String) -> AuthorizationError {
        AuthorizationError(code, description, redirectURI: redirectURI, state: state, responseMode: responseMode)
    }
}

/// Why an authorization request is refused, and how the browser hears it.
public enum AuthorizationRefusal: Error, Hashable, Sendable {
    /// No redirect can be trusted (unknown or disabled client, a redirect URI it did not register):
    /// RFC 6749 §4.1.2.1 forbids redirecting, so the user sees an error page.
    case page(AuthError)
    /// Back to the client's registered redirect URI with `error`, `error_description` and `state`.
    case redirect(AuthorizationError)
}

/// An error the authorization endpoint sends to the client's redirect URI (RFC 6749 §4.1.2.1,
/// OpenID Connect Core §3.1.2.6).
public struct AuthorizationError: Error, Hashable, Sendable {
    public enum Code: String, Hashable, Sendable, CaseIterable {
        case invalidRequest = "invalid_request"
        case unauthorizedClient = "unauthorized_client"
        case accessDenied = "access_denied"
        case unsupportedResponseType = "unsupported_response_type"
        case invalidScope = "invalid_scope"
        case serverError = "server_error"
        case temporarilyUnavailable = "temporarily_unavailable"
        case loginRequired = "login_required"
        case consentRequired = "consent_required"
        case interactionRequired = "interaction_required"
        case requestNotSupported = "request_not_supported"
        case requestURINotSupported = "request_uri_not_supported"
    }

    public var code: Code
    /// Safe to show: says which parameter, never echoes a secret.
    public var description: String
    public var redirectURI: String
    public var state: String?
    public var responseMode: ResponseMode

    public init(
        _ code: Code, _ description: String, redirectURI: String, state: String?, responseMode: ResponseMode = .query
    ) {
        self.responseMode = responseMode
        self.code = code
        self.description = description
        self.redirectURI = redirectURI
        self.state = state
    }
}

/// The checks of RFC 6749 §4.1.1, RFC 7636 and OpenID Connect Core §3.1.2, as pure functions over
/// the parameters and the client, in the order the RFCs imply: first whether the redirect URI can
/// be trusted at all (else an error page), then everything else as a redirect.
public enum AuthorizationRules {
    /// Longer values are refused: they would only be echoed back or stored with the code.
    static let maximumStateLength = 1024
    static let maximumNonceLength = 512
    static let maximumLoginHintLength = 256

    /// `client` is the registered client `parameters.clientID` names, nil when none does;
    /// `configuredScopes` is `oauth.scopes`.
    public static func check(
        _ parameters: AuthorizationParameters, client: OAuthClient?, configuredScopes: Set<String>,
        requirePushed: Bool = false
    ) -> Result<AuthorizationRequest, AuthorizationRefusal> {
        guard let clientID = parameters.clientID, !clientID.isEmpty else {
            return .failure(.page(AuthError(.invalidInput, "the request has no client_id")))
        }
        guard let client, client.id == clientID, !client.disabled else {
            return .failure(.page(AuthError(.invalidClient, "no such client, or it is disabled")))
        }
        // OpenID Connect requires redirect_uri; authd requires it of every request, so the URI the
        // code is bound to is always the one the token request repeats.
        guard let redirectURI = parameters.redirectURI, client.redirectURIs.contains(redirectURI) else {
            return .failure(
                .page(AuthError(.invalidInput, "redirect_uri is missing or not one this client registered")))
        }
        let state = parameters.state
        do throws(Invalid) {
            return .success(
                try checkRest(
                    parameters, client: client, redirectURI: redirectURI, configuredScopes: configuredScopes,
                    requirePushed: requirePushed))
        } catch {
            // A state too long to echo is not echoed; an unknown response_mode is answered in the query.
            let echoed = state.flatMap { $0.utf8.count <= maximumStateLength ? $0 : nil }
            let mode = parameters.responseMode.flatMap(ResponseMode.init(rawValue:)) ?? .query
            return .failure(
                .redirect(
                    AuthorizationError(
                        error.code, error.description, redirectURI: redirectURI, state: echoed, responseMode: mode)))
        }
    }

    /// A check that failed, sent to the redirect URI.
    struct Invalid: Error {
        let code: AuthorizationError.Code
        let description: String

        init(_ code: AuthorizationError.Code, _ description: String) {
            self.code = code
            self.description = description
        }

        init(_ description: String) { self.init(.invalidRequest, description) }
    }

    /// Everything after the client and its redirect URI are trusted.
    private static func checkRest(
        _ parameters: AuthorizationParameters, client: OAuthClient, redirectURI: String, configuredScopes: Set<String>,
        requirePushed: Bool
    ) throws(Invalid) -> AuthorizationRequest {
        if let state = parameters.state, state.utf8.count > maximumStateLength {
            throw Invalid("state is longer than \(maximumStateLength) bytes")
        }
        if parameters.pushed != true, requirePushed || client.requiresPAR {
            throw Invalid("this client must push its authorization requests to the PAR endpoint first (RFC 9126)")
        }
        if parameters.request != nil { throw Invalid(.requestNotSupported, "request objects are not supported") }
        if parameters.requestURI != nil { throw Invalid(.requestURINotSupported, "request_uri is not supported") }
        guard let responseType = parameters.responseType else { throw Invalid("response_type is required") }
        guard responseType == "code" else {
            throw Invalid(.unsupportedResponseType, "only response_type=code is supported")
        }
        var responseMode = ResponseMode.query
        if let mode = parameters.responseMode {
            guard let known = ResponseMode(rawValue: mode) else {
                throw Invalid("response_mode must be query or form_post")
            }
            responseMode = known
        }
        guard client.grantTypes.contains(.authorizationCode) else {
            throw Invalid(.unauthorizedClient, "this client may not use the authorization code grant")
        }
        let scopes = try grantedScopes(parameters.scope, client: client, configuredScopes: configuredScopes)
        let challenge = try codeChallenge(parameters, client: client)
        let prompts = try self.prompts(parameters.prompt)
        var maxAge: Int64?
        if let text = parameters.maxAge {
            guard text.utf8.count <= 10, let value = Int64(text), value >= 0 else {
                throw Invalid("max_age must be a non-negative number of seconds")
            }
            maxAge = value
        }
        if let nonce = parameters.nonce, nonce.utf8.count > maximumNonceLength {
            throw Invalid("nonce is longer than \(maximumNonceLength) bytes")
        }
        if let hint = parameters.loginHint, hint.utf8.count > maximumLoginHintLength {
            throw Invalid("login_hint is longer than \(maximumLoginHintLength) bytes")
        }
        return AuthorizationRequest(
            client: client, redirectURI: redirectURI, scopes: scopes, state: parameters.state, nonce: parameters.nonce,
            codeChallenge: challenge, prompts: prompts, maxAge: maxAge, loginHint: parameters.loginHint,
            responseMode: responseMode)
    }

    /// `OAuthScope.granted` over what the client may have of `oauth.scopes`, as a redirected error.
    static func grantedScopes(_ scope: String?, client: OAuthClient, configuredScopes: Set<String>) throws(Invalid)
        -> [String]
    {
        do {
            return try OAuthScope.granted(scope, allowed: Set(client.scopes).intersection(configuredScopes))
        } catch {
            throw Invalid(.invalidScope, error.message)
        }
    }

    /// RFC 7636 §4.3: S256 only (`plain` would hand the verifier to whoever sees the request);
    /// required of every client but a confidential one an administrator let go without
    /// (`pkce_required: false`): besides proving a public client's code is its own, it stops a code
    /// injected into another browser's session from being redeemed (OAuth 2.0 Security BCP §2.1.1).
    static func codeChallenge(_ parameters: AuthorizationParameters, client: OAuthClient) throws(Invalid) -> String? {
        guard let challenge = parameters.codeChallenge else {
            if parameters.codeChallengeMethod != nil { throw Invalid("code_challenge_method without code_challenge") }
            if client.requiresPKCE { throw Invalid("this client must send a PKCE code_challenge (S256)") }
            return nil
        }
        // §4.3: an absent method means plain.
        guard parameters.codeChallengeMethod == "S256" else {
            throw Invalid("code_challenge_method must be S256 (plain is not accepted)")
        }
        // The base64url of a SHA-256 digest, unpadded.
        guard Identity.isBase64URL(challenge, lengths: 43...43) else {
            throw Invalid("code_challenge must be the unpadded base64url SHA-256 of the verifier")
        }
        return challenge
    }

    /// Space-separated `prompt` values; `none` stands alone (OpenID Connect Core §3.1.2.1).
    static func prompts(_ prompt: String?) throws(Invalid) -> Set<Prompt> {
        guard let prompt, !prompt.isEmpty else { return [] }
        var prompts: Set<Prompt> = []
        for value in prompt.split(separator: " ") {
            guard let known = Prompt(rawValue: String(value)) else {
                throw Invalid("prompt may hold none, login, consent and select_account")
            }
            prompts.insert(known)
        }
        if prompts.contains(.none), prompts.count > 1 { throw Invalid("prompt=none cannot be combined") }
        return prompts
    }

    /// RFC 7636 §4.6: BASE64URL(SHA256(verifier)) equals the challenge, compared in constant time.
    /// The verifier is 43 to 128 of the unreserved characters.
    public static func verifierMatches(_ verifier: String, challenge: String) -> Bool {
        let bytes = Array(verifier.utf8)
        guard (43...128).contains(bytes.count),
            bytes.allSatisfy({ Identity.isAlphanumeric($0) || "-._~".utf8.contains($0) }),
            let digest = try? Digest.hash(.sha256, bytes)
        else { return false }
        return ConstantTime.equals(Array(Base64.url.encode(digest).utf8), Array(challenge.utf8))
    }
}
