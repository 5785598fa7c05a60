/// The device page's use cases (RFC 8628 §3.3): the signed-in person types the code their device
/// shows, sees which application asks for what, and allows or refuses it. Guessing codes is held
/// back as guessing passwords is: each look-up spends the address's attempts, and each unknown
/// code charges a failure budget of the address group and one of the account.
extension PortalService {
    /// The request waiting under the typed code, with its client's name; nil when the browser is
    /// not signed in. `invalidCode` for a code that is malformed, unknown, expired or answered.
    public func deviceRequest(userCode typed: String, cookie: String?, source: String?) async throws
        -> (request: DeviceRequest, clientName: String)?
    {
        guard let (session, _) = try await session(cookie: cookie) else { return nil }
        let limits = auth.limits
        try limits.spendAttempt(from: source)
        let keys = ["device@\(source.map(limits.grouping.key) ?? "")", "device-user:\(session.userID)"]
        for key in keys { try limits.requireAccountBudget(key) }
        let refused = AuthError(.invalidCode, "that code is not valid, or it has expired")
        guard let code = DeviceCode.normalized(typed),
            let request = try await auth.oauth.codes.deviceRequest(userCode: code),
            let client = try await client(id: request.clientID), !client.disabled
        else {
            for key in keys { limits.chargeFailure(key) }
            logger.info("device code refused", metadata: ["user_id": "\(session.userID)"])
            throw refused
        }
        return (request, client.name)
    }

    /// The signed-in person's answer to the request under `userCode`: allowed, it carries their
    /// sign-in (when and how, and the SSO session, so that signing out ends the device's session
    /// too). `invalidCode` when it is no longer waiting.
    public func decideDevice(userCode typed: String, allow: Bool, cookie: String?) async throws {
        guard let (session, _) = try await session(cookie: cookie) else {
            throw AuthError(.invalidCredentials, "sign in first")
        }
        let approval =
            allow
            ? DeviceApproval(
                userID: session.userID, authTime: session.authTime, methods: session.methods,
                ssoSessionID: session.sessionID)
            : nil
        guard let code = DeviceCode.normalized(typed),
            try await auth.oauth.codes.decideDevice(userCode: code, approval: approval)
        else { throw AuthError(.invalidCode, "that code is not valid, or it has expired") }
        logger.info(
            allow ? "device allowed" : "device refused", metadata: ["user_id": "\(session.userID)"])
    }
}
