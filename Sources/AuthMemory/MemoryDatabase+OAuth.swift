public import AuthCore
import AuthCrypto

extension MemoryDatabase: ClientStore {
    public func clients() async throws -> [OAuthClient] {
        transaction { tables, _ in tables.clients.keys.sorted().compactMap { tables.clients[$0]?.client } }
    }

    public func client(id: String) async throws -> OAuthClient? {
        try await credential(id: id)?.client
    }

    public func credential(id: String) async throws -> ClientCredential? {
        transaction { tables, _ in
            tables.clients[id].map { ClientCredential(client: $0.client, secretHash: $0.secretHash) }
        }
    }

    public func create(_ client: NewClient, secretHash: String?, by actor: Actor) async throws -> OAuthClient {
        try transaction { tables, now in
            guard tables.clients[client.id] == nil else {
                throw AuthError(.clientExists, "a client with this id exists")
            }
            // The table's check: a secret for a confidential client, none for a public one.
            guard (client.type == .confidential) == (secretHash != nil) else {
                throw AuthError(.internal, "a confidential client has a secret, a public one none")
            }
            guard client.roles.allSatisfy({ tables.roles[$0] != nil }) else {
                throw AuthError(.unknownRole, "a role given does not exist")
            }
            let pkce = client.requiresPKCE || client.type == .public
            let stored = OAuthClient(
                id: client.id, name: client.name, type: client.type, grantTypes: client.grantTypes,
                scopes: client.scopes, redirectURIs: client.redirectURIs, roles: Array(Set(client.roles)).sorted(),
                tokenLifetime: client.tokenLifetime, idTokenAlgorithm: client.idTokenAlgorithm,
                skipConsent: client.skipConsent, mayIntrospect: client.mayIntrospect, requiresPKCE: pkce,
                requiresPAR: client.requiresPAR, requiresDPoP: client.requiresDPoP, logout: client.logout,
                createdAt: now / 1000)
            if let hash = client.registrationHash {
                guard !tables.registrationHashes.values.contains(hash) else {
                    throw AuthError(.clientExists, "a client with this registration token exists")
                }
                tables.registrationHashes[client.id] = hash
            }
            tables.clients[client.id] = .init(client: stored, secretHash: secretHash)
            tables.audit(
                actor, "client.create", target: "client:\(client.id)", client.auditDetails, now: now)
            return stored
        }
    }

    public func update(clientID: String, _ change: ClientChange, by actor: Actor) async throws -> Changed<OAuthClient> {
        try transaction { tables, now in
            guard var client = tables.clients[clientID]?.client else { throw AuthError(.notFound, "no such client") }
            if let name = change.name { client.name = name }
            if let disabled = change.disabled { client.disabled = disabled }
            if let grantTypes = change.grantTypes { client.grantTypes = grantTypes }
            if let scopes = change.scopes { client.scopes = scopes }
            if let redirectURIs = change.redirectURIs { client.redirectURIs = redirectURIs }
            if let lifetime = change.tokenLifetime { client.tokenLifetime = lifetime }
            if let algorithm = change.idTokenAlgorithm { client.idTokenAlgorithm = algorithm }
            if let skipConsent = change.skipConsent { client.skipConsent = skipConsent }
            if let mayIntrospect = change.mayIntrospect { client.mayIntrospect = mayIntrospect }
            client.requiresPKCE = (change.requiresPKCE ?? client.requiresPKCE) || client.type == .public
            if let required = change.requiresPAR { client.requiresPAR = required }
            if let required = change.requiresDPoP { client.requiresDPoP = required }
            if let uri = change.backChannelLogoutURI { client.logout.backChannel = uri }
            if let uri = change.frontChannelLogoutURI { client.logout.frontChannel = uri }
            if let roles = change.roles {
                guard roles.allSatisfy({ tables.roles[$0] != nil }) else {
                    throw AuthError(.unknownRole, "a role given does not exist")
                }
                client.roles = Array(Set(roles)).sorted()
            }
            tables.clients[clientID]?.client = client
            let revocations =
                change.cutsOff ? [try tables.cutOff(client: clientID, retention: retention, now: now)] : []
            tables.audit(actor, "client.update", target: "client:\(clientID)", change.auditDetails, now: now)
            return Changed(tables.clients[clientID]?.client ?? client, revocations: revocations)
        }
    }

    public func createRegistrationToken(hash: String, expiresAt: Int64, uses: Int?, by actor: Actor) async throws {
        transaction { tables, now in
            tables.registrationTokens[hash] = (expiresAt * 1000, uses)
            tables.audit(
                actor, "client.registration_token", target: "registration", ["uses": uses.map(String.init) ?? "any"],
                now: now)
        }
    }

    public func spendRegistrationToken(hash: String) async throws -> Bool {
        transaction { tables, now in
            guard let token = tables.registrationTokens[hash], token.expiresAt > now, (token.uses ?? 1) > 0 else {
                return false
            }
            tables.registrationTokens[hash]?.uses = token.uses.map { $0 - 1 }
            return true
        }
    }

    public func client(registrationHash: String) async throws -> OAuthClient? {
        transaction { tables, _ in
            tables.registrationHashes.first { $0.value == registrationHash }.flatMap { tables.clients[$0.key]?.client }
        }
    }

    public func delete(clientID: String, by actor: Actor) async throws -> Changed<Void> {
        try transaction { tables, now in
            guard let client = tables.clients[clientID]?.client else { throw AuthError(.notFound, "no such client") }
            tables.deleteClient(clientID)
            let revocation = retention.deletedClient(clientID, at: now / 1000, tokenLifetime: client.tokenLifetime)
            tables.audit(actor, "client.delete", target: "client:\(clientID)", [:], now: now)
            return Changed((), revocations: [tables.record(revocation)])
        }
    }

    public func setSecret(clientID: String, hash: String, by actor: Actor) async throws -> Changed<Void> {
        try transaction { tables, now in
            guard tables.clients[clientID]?.client.type == .confidential else {
                throw AuthError(.notFound, "no such confidential client")
            }
            tables.clients[clientID]?.secretHash = hash
            let revocation = try tables.cutOff(client: clientID, retention: retention, now: now)
            tables.audit(actor, "client.rotate_secret", target: "client:\(clientID)", [:], now: now)
            return Changed((), revocations: [revocation])
        }
    }

    public func revoke(tokenID: String, expiresAt: Int64) async throws -> Changed<Void> {
        transaction { tables, _ in
            Changed((), revocations: [tables.record(retention.token(tokenID, expiresAt: expiresAt))])
        }
    }

}

extension Tables {
    /// As for users, on the client's row.
    mutating func cutOff(client id: String, retention: RetentionPolicy, now: Int64) throws -> Revocation {
        guard let client = clients[id]?.client else { throw AuthError(.notFound, "no such client") }
        let notBefore = retention.notBefore(after: client.notBefore, cutOffIn: now / 1000)
        clients[id]?.client.notBefore = notBefore
        return record(retention.clientCutOff(id, notBefore: notBefore, tokenLifetime: client.tokenLifetime))
    }
}

extension MemoryDatabase: AuthorizationCodeStore {
    public func save(codeHash: String, grant: AuthorizationGrant, lifetime: Int64) async throws {
        try transaction { tables, now in
            guard tables.clients[grant.clientID] != nil, tables.users[grant.userID] != nil else {
                throw AuthError(.notFound, "no such client or user")
            }
            tables.codes[codeHash] = .init(grant: grant, expiresAt: now + lifetime * 1000)
        }
    }

    public func redeem(codeHash: String, clientID: String) async throws -> CodeRedemption {
        transaction { tables, now in
            guard let code = tables.codes[codeHash], code.grant.clientID == clientID else { return .invalid }
            if code.usedAt == nil {
                guard code.expiresAt > now else { return .invalid }
                tables.codes[codeHash]?.usedAt = now
                return .redeemed(code.grant)
            }
            if code.replayedAt == nil { tables.codes[codeHash]?.replayedAt = now }
            return .replayed(sessionID: code.sessionID, userID: code.grant.userID)
        }
    }

    public func attach(sessionID: String, toCodeHash codeHash: String) async throws -> Bool {
        transaction { tables, _ in
            guard tables.codes[codeHash] != nil, tables.codes[codeHash]?.replayedAt == nil else { return false }
            tables.codes[codeHash]?.sessionID = sessionID
            return true
        }
    }

    public func saveDevice(
        codeHash: String, userCode: String, clientID: String, scopes: [String], lifetime: Int64, interval: Int64
    ) async throws -> Bool {
        transaction { tables, now in
            guard !tables.devices.values.contains(where: { $0.userCode == userCode }) else { return false }
            tables.devices[codeHash] = .init(
                userCode: userCode, clientID: clientID, scopes: scopes, expiresAt: now + lifetime * 1000,
                interval: interval)
            return true
        }
    }

    public func deviceRequest(userCode: String) async throws -> DeviceRequest? {
        transaction { tables, now in
            tables.devices.values.first { $0.userCode == userCode && $0.status == .pending && $0.expiresAt > now }.map {
                DeviceRequest(
                    clientID: $0.clientID, scopes: $0.scopes, userCode: $0.userCode, expiresAt: $0.expiresAt / 1000)
            }
        }
    }

    public func decideDevice(userCode: String, approval: DeviceApproval?) async throws -> Bool {
        transaction { tables, now in
            guard
                let (hash, _) = tables.devices.first(where: {
                    $0.value.userCode == userCode && $0.value.status == .pending && $0.value.expiresAt > now
                })
            else { return false }
            tables.devices[hash]?.status = approval == nil ? .denied : .allowed
            tables.devices[hash]?.approval = approval
            return true
        }
    }

    public func savePushed(uriHash: String, clientID: String, parameters: String, lifetime: Int64) async throws {
        transaction { tables, now in
            tables.pushed[uriHash] = (clientID, parameters, now + lifetime * 1000, false)
        }
    }

    public func takePushed(uriHash: String, clientID: String) async throws -> String? {
        transaction { tables, now in
            guard let row = tables.pushed[uriHash], row.clientID == clientID, !row.taken, row.expiresAt > now else {
                return nil
            }
            tables.pushed[uriHash]?.taken = true
            return row.parameters
        }
    }

    public func pollDevice(codeHash: String, clientID: String) async throws -> DevicePoll {
        transaction { tables, now in
            guard let row = tables.devices[codeHash], row.clientID == clientID, row.status != .used else {
                return .invalid
            }
            if row.expiresAt <= now { return .expired }
            switch row.status {
            case .denied: return .denied
            case .allowed:
                guard let approval = row.approval else { return .invalid }
                tables.devices[codeHash]?.status = .used
                return .approved(
                    AuthorizationGrant(
                        clientID: clientID, userID: approval.userID, redirectURI: "", scopes: row.scopes, nonce: nil,
                        codeChallenge: nil, authTime: approval.authTime, methods: approval.methods,
                        ssoSessionID: approval.ssoSessionID))
            case .pending, .used:
                let tooSoon = row.polledAt.map { now - $0 < row.interval * 1000 } ?? false
                tables.devices[codeHash]?.polledAt = now
                if tooSoon { tables.devices[codeHash]?.interval = min(row.interval + 5, 600) }
                return tooSoon ? .slowDown : .pending
            }
        }
    }
}

extension MemoryDatabase: PortalStore {
    public func create(ssoHash: String, _ session: SSOSession) async throws {
        try transaction { tables, now in
            guard tables.sessions[session.sessionID] != nil, tables.users[session.userID] != nil else {
                throw AuthError(.notFound, "no such session or user")
            }
            tables.sso[ssoHash] = .init(
                session: SSOSession(
                    sessionID: session.sessionID, userID: session.userID, authTime: session.authTime,
                    methods: session.methods, lastSeen: now / 1000))
        }
    }

    public func sso(hash: String) async throws -> (session: SSOSession, user: User)? {
        transaction { tables, now in
            guard let row = tables.sso[hash], tables.sessions[row.session.sessionID]?.isLive(at: now) == true,
                let user = tables.users[row.session.userID], !user.disabled
            else { return nil }
            return (row.session, user.user)
        }
    }

    public func delete(ssoHash: String) async throws {
        transaction { tables, _ in tables.sso[ssoHash] = nil }
    }

    public func touch(ssoHash: String) async throws {
        transaction { tables, now in tables.sso[ssoHash]?.session.lastSeen = now / 1000 }
    }

    public func clients(issuedIn sessionID: String) async throws -> [String] {
        transaction { tables, _ in
            Set(tables.sessions.values.filter { $0.parentID == sessionID }.compactMap(\.clientID)).sorted()
        }
    }

    public func endLapsed(idleTimeout: Int64, limit: Int) async throws -> Changed<Int> {
        transaction { tables, now in
            let lapsed = tables.sso.filter { _, row in
                guard let session = tables.sessions[row.session.sessionID] else { return true }
                return row.session.isIdle(now: now / 1000, timeout: idleTimeout) || session.expiresAt <= now
                    || session.revokedAt != nil
            }.sorted { ($0.value.session.lastSeen, $0.key) < ($1.value.session.lastSeen, $1.key) }.prefix(max(1, limit))
            for (hash, _) in lapsed { tables.sso[hash] = nil }
            let ended = Set(lapsed.map(\.value.session.sessionID)).filter {
                tables.sessions[$0] != nil && tables.sessions[$0]?.revokedAt == nil
            }
            let revocations =
                tables.revoke(Array(ended), retention: retention, now: now)
                + tables.endChildren(of: Array(ended), retention: retention, now: now)
            return Changed(lapsed.count, revocations: revocations)
        }
    }

    public func consent(userID: Int64, clientID: String) async throws -> Consent? {
        transaction { tables, _ in tables.consent(.init(userID: userID, clientID: clientID)) }
    }

    public func recordConsent(userID: Int64, clientID: String, scopes: [String]) async throws {
        try transaction { tables, _ in
            guard tables.users[userID] != nil, tables.clients[clientID] != nil else {
                throw AuthError(.notFound, "no such user or client")
            }
            tables.consents[.init(userID: userID, clientID: clientID), default: []].formUnion(scopes)
        }
    }

    public func revokeConsent(userID: Int64, clientID: String) async throws -> Bool {
        transaction { tables, _ in tables.consents.removeValue(forKey: .init(userID: userID, clientID: clientID)) != nil
        }
    }

    public func consents(userID: Int64) async throws -> [Consent] {
        transaction { tables, _ in
            tables.consents.keys.filter { $0.userID == userID }.sorted { $0.clientID < $1.clientID }
                .compactMap { tables.consent($0) }
        }
    }
}

extension Tables {
    /// A consent with its client's name.
    func consent(_ key: ConsentKey) -> Consent? {
        guard let scopes = consents[key], let client = clients[key.clientID]?.client else { return nil }
        return Consent(clientID: key.clientID, clientName: client.name, scopes: scopes)
    }
}

extension MemoryDatabase: ProofReplayStore {
    public func record(proofHash: String, until expiresAt: Int64) async throws -> Bool {
        transaction { tables, now in
            if let kept = tables.proofs[proofHash], kept > now { return false }
            tables.proofs[proofHash] = expiresAt * 1000
            return true
        }
    }
}
