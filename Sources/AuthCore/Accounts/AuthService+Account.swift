extension AuthService {
    /// PAM's account management for someone a server already authenticated (Postfix's policy
    /// delegation for a SASL login): the account exists and is not disabled, the service stack's
    /// lockout modules do not hold it locked, and its `account` modules (role, time, source) accept
    /// it. No password is checked and nothing is counted. Disabled, locked and refused accounts
    /// alike are `accountDenied`. A name authd has no account for is nil: not authd's to judge (the
    /// server may have authenticated it elsewhere), and answered as an allowed account is, so the
    /// check tells nobody which names exist.
    public func checkAccount(service: String, username: String, source: String? = nil) async throws -> User? {
        guard let stack = stack(for: service) else { throw AuthError(.unknownService, "no stack for this service") }
        guard username.utf8.count <= 256, !username.utf8.contains(0) else { return nil }
        let denied = AuthError(.accountDenied, "this account may not use this service now")
        var attempt = limits.attempt(service: service, username: username, password: "", source: source)
        attempt.user = try await users.find(username: username)
        attempt.userLoaded = true
        guard let user = attempt.user else { return nil }
        guard !user.disabled else { throw denied }
        for entry in stack.entries(.auth) where entry.module is LockoutModule {
            if case .failure = try await entry.module.run(&attempt, facility: .auth) { throw denied }
        }
        let verdict = try await StackEngine.evaluate(stack.entries(.account)) { entry in
            try await entry.module.run(&attempt, facility: .account)
        }
        guard verdict.isSuccess || stack.entries(.account).isEmpty else { throw denied }
        return user
    }

    /// `POST /me/email`: the account behind a first-party token moves to a new address, given its
    /// current password (a stolen token alone cannot move the account's mail, and with it its
    /// resets, to an address of the thief's). The new address is unverified; when mail verifies
    /// addresses it is sent a link and a code, and the old one a notice, from the change's
    /// transaction. Audited as the account itself. A taken address is `emailTaken`.
    public func changeEmail(accessToken: String, password: String, newEmail: String, source: String? = nil)
        async throws -> UserProfile
    {
        try limits.spendAttempt(from: source)
        let user = try await tokens.account(accessToken: accessToken, in: users)
        let email = try Identity.normalisedEmail(newEmail)
        let wrong = AuthError(.wrongPassword, "the current password is wrong")
        guard password.utf8.count <= configuration.passwordPolicy.maximumBytes else { throw wrong }
        let hasher = self.hasher
        let stored = user.passwordHash
        guard try await hashing.run({ try hasher.verify(Array(password.utf8), against: stored) }) else { throw wrong }
        guard email != user.email else { return user.profile }
        var change = UserChange(email: email)
        change.verification = configuration.verifyEmail
        let owner = Actor(id: user.id, name: user.username, source: source ?? "", roles: user.roles)
        let changed = try await directory.update(userID: user.id, change, by: owner)
        logger.notice("e-mail address changed by its owner", metadata: ["user_id": "\(user.id)"])
        return changed.value.profile
    }
}
