public import AuthCore
import AuthCrypto

/// `ClientStore` on `clients` and `client_roles`. Each change runs in one transaction with its
/// audit row and, when it cuts off the client's tokens, with the revocation that tells every
/// instance. Lists (grant types, scopes, redirect URIs, roles) travel as space-separated text:
/// none of their items may contain a space.
public struct PostgresClientStore: ClientStore {
    let pool: PostgresPool
    let retention: RetentionPolicy

    public init(pool: PostgresPool, retention: RetentionPolicy) {
        self.pool = pool
        self.retention = retention
    }

    static let columns = """
        c.id, c.name, c.type, array_to_string(c.grant_types, ' ') AS grant_types,
        array_to_string(c.scopes, ' ') AS scopes, array_to_string(c.redirect_uris, ' ') AS redirect_uris,
        (SELECT coalesce(string_agg(r.role, ' ' ORDER BY r.role), '') FROM client_roles r WHERE r.client_id = c.id)
            AS roles,
        c.token_lifetime, c.id_token_alg, c.disabled, c.skip_consent, c.introspection, c.pkce_required, c.par_required,
        c.dpop_required,
        c.backchannel_logout_uri, c.frontchannel_logout_uri, extract(epoch FROM c.not_before)::bigint AS not_before,
        extract(epoch FROM c.created_at)::bigint AS created_at, c.secret_hash
        """

    public func clients() async throws -> [OAuthClient] {
        try await pool.run { connection in
            try connection.query("SELECT \(Self.columns) FROM clients c ORDER BY c.id").rows.map(Self.client(from:))
        }
    }

    public func client(id: String) async throws -> OAuthClient? {
        try await credential(id: id)?.client
    }

    public func credential(id: String) async throws -> ClientCredential? {
        try await pool.run { connection in try Self.credential(id, on: connection) }
    }

    private static func credential(_ id: String, on connection: PostgresConnection) throws -> ClientCredential? {
        try connection.query("SELECT \(columns) FROM clients c WHERE c.id = $1", [id]).rows.first.map { row in
            ClientCredential(client: try client(from: row), secretHash: try row.optionalString("secret_hash"))
        }
    }

    public func create(_ client: NewClient, secretHash: String?, by actor: Actor) async throws -> OAuthClient {
        try await pool.run { connection in
            try connection.transaction {
                do {
                    try connection.query(
                        """
                        INSERT INTO clients (id, name, type, secret_hash, grant_types, scopes, redirect_uris,
                            token_lifetime, id_token_alg, skip_consent, introspection, pkce_required,
                            backchannel_logout_uri, frontchannel_logout_uri, par_required, registration_hash,
                            dpop_required)
                        VALUES ($1, $2, $3, $4, string_to_array($5, ' '), string_to_array($6, ' '),
                            string_to_array($7, ' '), $8, $9, $10::boolean, $11::boolean, $12::boolean, $13, $14,
                            $15::boolean, $16, $17::boolean)
                        """,
                        [
                            client.id, client.name, client.type.rawValue, secretHash,
                            client.grantTypes.map(\.rawValue).joined(separator: " "),
                            client.scopes.joined(separator: " "), client.redirectURIs.joined(separator: " "),
                            client.tokenLifetime.map(String.init), client.idTokenAlgorithm.rawValue,
                            Self.boolean(client.skipConsent), Self.boolean(client.mayIntrospect),
                            Self.boolean(client.requiresPKCE || client.type == .public), client.logout.backChannel,
                            client.logout.frontChannel, Self.boolean(client.requiresPAR), client.registrationHash,
                            Self.boolean(client.requiresDPoP),
                        ])
                } catch let error as PostgresError where error.isUniqueViolation {
                    throw AuthError(.clientExists, "a client with this id exists")
                }
                try Self.setRoles(client.roles, of: client.id, on: connection)
                try PostgresDirectoryStore.audit(
                    actor, "client.create", target: "client:\(client.id)", client.auditDetails, on: connection)
                return try Self.find(client.id, on: connection)
            }
        }
    }

    public func update(clientID: String, _ change: ClientChange, by actor: Actor) async throws -> Changed<OAuthClient> {
        try await pool.run { connection in
            try connection.transaction {
                let updated = try connection.query(
                    """
                    UPDATE clients SET
                        name = coalesce($2, name),
                        disabled = coalesce($3::boolean, disabled),
                        grant_types = coalesce(string_to_array($4, ' '), grant_types),
                        scopes = coalesce(string_to_array($5, ' '), scopes),
                        redirect_uris = coalesce(string_to_array($6, ' '), redirect_uris),
                        token_lifetime = CASE WHEN $7::boolean THEN $8::integer ELSE token_lifetime END,
                        id_token_alg = coalesce($9, id_token_alg),
                        skip_consent = coalesce($10::boolean, skip_consent),
                        introspection = coalesce($11::boolean, introspection),
                        pkce_required = coalesce($12::boolean, pkce_required) OR type = 'public',
                        backchannel_logout_uri = CASE WHEN $13::boolean THEN $14 ELSE backchannel_logout_uri END,
                        frontchannel_logout_uri = CASE WHEN $15::boolean THEN $16 ELSE frontchannel_logout_uri END,
                        par_required = coalesce($17::boolean, par_required),
                        dpop_required = coalesce($18::boolean, dpop_required),
                        updated_at = now()
                    WHERE id = $1
                    """,
                    [
                        clientID, change.name, change.disabled.map { $0 ? "true" : "false" },
                        change.grantTypes.map { $0.map(\.rawValue).joined(separator: " ") },
                        change.scopes.map { $0.joined(separator: " ") },
                        change.redirectURIs.map { $0.joined(separator: " ") },
                        change.tokenLifetime == nil ? "false" : "true",
                        change.tokenLifetime.flatMap { $0.map(String.init) }, change.idTokenAlgorithm?.rawValue,
                        change.skipConsent.map(Self.boolean), change.mayIntrospect.map(Self.boolean),
                        change.requiresPKCE.map(Self.boolean),
                        Self.boolean(change.backChannelLogoutURI != nil), change.backChannelLogoutURI ?? nil,
                        Self.boolean(change.frontChannelLogoutURI != nil), change.frontChannelLogoutURI ?? nil,
                        change.requiresPAR.map(Self.boolean), change.requiresDPoP.map(Self.boolean),
                    ]
                ).affectedRows
                guard updated == 1 else { throw AuthError(.notFound, "no such client") }
                if let roles = change.roles {
                    try connection.query("DELETE FROM client_roles WHERE client_id = $1", [clientID])
                    try Self.setRoles(roles, of: clientID, on: connection)
                }
                let revocations = change.cutsOff ? [try cutOff(clientID, on: connection)] : []
                try PostgresDirectoryStore.audit(
                    actor, "client.update", target: "client:\(clientID)", change.auditDetails, on: connection)
                return Changed(try Self.find(clientID, on: connection), revocations: revocations)
            }
        }
    }

    public func delete(clientID: String, by actor: Actor) async throws -> Changed<Void> {
        try await pool.run { connection in
            try connection.transaction {
                guard
                    let row = try connection.query(
                        """
                        DELETE FROM clients WHERE id = $1
                        RETURNING token_lifetime, floor(extract(epoch FROM clock_timestamp()))::bigint AS now
                        """, [clientID]
                    ).rows.first
                else { throw AuthError(.notFound, "no such client") }
                let revocation = retention.deletedClient(
                    clientID, at: try row.int64("now"), tokenLifetime: try row.optionalInt64("token_lifetime"))
                try PostgresDirectoryStore.audit(
                    actor, "client.delete", target: "client:\(clientID)", [:], on: connection)
                return Changed((), revocations: [try PostgresRevocations.record(revocation, on: connection)])
            }
        }
    }

    public func setSecret(clientID: String, hash: String, by actor: Actor) async throws -> Changed<Void> {
        try await pool.run { connection in
            try connection.transaction {
                let updated = try connection.query(
                    "UPDATE clients SET secret_hash = $2, updated_at = now() WHERE id = $1 AND type = 'confidential'",
                    [clientID, hash]
                ).affectedRows
                guard updated == 1 else { throw AuthError(.notFound, "no such confidential client") }
                let revocation = try cutOff(clientID, on: connection)
                try PostgresDirectoryStore.audit(
                    actor, "client.rotate_secret", target: "client:\(clientID)", [:], on: connection)
                return Changed((), revocations: [revocation])
            }
        }
    }

    public func revoke(tokenID: String, expiresAt: Int64) async throws -> Changed<Void> {
        try await pool.run { connection in
            Changed(
                (),
                revocations: [
                    try PostgresRevocations.record(retention.token(tokenID, expiresAt: expiresAt), on: connection)
                ])
        }
    }

    // MARK: Helpers

    /// As for users (`PostgresRevocations.cutOff`), on the client's row.
    public func createRegistrationToken(hash: String, expiresAt: Int64, uses: Int?, by actor: Actor) async throws {
        _ = try await pool.run { connection in
            try connection.transaction {
                try connection.query(
                    """
                    INSERT INTO registration_tokens (token_hash, created_by, expires_at, uses_left)
                    VALUES ($1, $2, to_timestamp($3), $4)
                    """, [hash, actor.name, String(expiresAt), uses.map(String.init)])
                try PostgresDirectoryStore.audit(
                    actor, "client.registration_token", target: "registration",
                    ["uses": uses.map(String.init) ?? "any"],
                    on: connection)
            }
        }
    }

    public func spendRegistrationToken(hash: String) async throws -> Bool {
        try await pool.run { connection in
            try connection.query(
                """
                UPDATE registration_tokens SET uses_left = uses_left - 1
                WHERE token_hash = $1 AND expires_at > now() AND (uses_left IS NULL OR uses_left > 0)
                """, [hash]
            ).affectedRows == 1
        }
    }

    public func client(registrationHash: String) async throws -> OAuthClient? {
        try await pool.run { connection in
            try connection.query(
                "SELECT \(Self.columns) FROM clients c WHERE c.registration_hash = $1", [registrationHash]
            )
            .rows.first.map(Self.client(from:))
        }
    }

    private func cutOff(_ clientID: String, on connection: PostgresConnection) throws -> Revocation {
        guard
            let (notBefore, row) = try PostgresRevocations.advanceNotBefore(
                of: "clients", clientID, returning: "token_lifetime", retention: retention, on: connection)
        else { throw AuthError(.notFound, "no such client") }
        return try PostgresRevocations.record(
            retention.clientCutOff(
                clientID, notBefore: notBefore, tokenLifetime: try row.optionalInt64("token_lifetime")),
            on: connection)
    }

    private static func setRoles(_ roles: [String], of clientID: String, on connection: PostgresConnection) throws {
        guard !roles.isEmpty else { return }
        do {
            try connection.query(
                "INSERT INTO client_roles (client_id, role) SELECT $1, unnest(string_to_array($2, ' '))",
                [clientID, roles.joined(separator: " ")])
        } catch let error where error.isForeignKeyViolation {
            throw AuthError(.unknownRole, "a role given does not exist")
        }
    }

    private static func find(_ id: String, on connection: PostgresConnection) throws -> OAuthClient {
        guard let found = try credential(id, on: connection) else { throw AuthError(.notFound, "no such client") }
        return found.client
    }

    private static func boolean(_ value: Bool) -> String { value ? "true" : "false" }

    static func client(from row: PostgresRow) throws -> OAuthClient {
        let list: (String) throws -> [String] = { try row.string($0).split(separator: " ").map(String.init) }
        return OAuthClient(
            id: try row.string("id"), name: try row.string("name"),
            type: ClientType(rawValue: try row.string("type")) ?? .confidential,
            grantTypes: try list("grant_types").compactMap(GrantType.init(rawValue:)), scopes: try list("scopes"),
            redirectURIs: try list("redirect_uris"), roles: try list("roles"),
            tokenLifetime: try row.optionalInt64("token_lifetime"),
            idTokenAlgorithm: JWSAlgorithm(rawValue: try row.string("id_token_alg")) ?? .rs256,
            disabled: try row.bool("disabled"), skipConsent: try row.bool("skip_consent"),
            mayIntrospect: try row.bool("introspection"), requiresPKCE: try row.bool("pkce_required"),
            requiresPAR: try row.bool("par_required"), requiresDPoP: try row.bool("dpop_required"),
            logout: LogoutChannels(
                backChannel: try row.optionalString("backchannel_logout_uri"),
                frontChannel: try row.optionalString("frontchannel_logout_uri")),
            notBefore: try row.optionalInt64("not_before"), createdAt: try row.int64("created_at"))
    }
}
