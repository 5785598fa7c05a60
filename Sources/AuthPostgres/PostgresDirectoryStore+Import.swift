public import AuthCore

/// Bulk import: a batch is copied into a temporary table, classified against the accounts that
/// exist, and the new ones are inserted with their roles, all in one transaction with one audit row.
extension PostgresDirectoryStore: UserImportStore {
    public func roleNames() async throws -> Set<String> {
        try await pool.run { connection in
            Set(try connection.query("SELECT name FROM roles").rows.map { try $0.string("name") })
        }
    }

    public func importBatch(
        _ rows: [ImportRow], creatingRoles newRoles: [String], source: String, by actor: Actor, dryRun: Bool
    ) async throws -> [ImportOutcome] {
        try await pool.run { connection in
            try connection.transaction(rollingBack: dryRun) {
                try connection.query(
                    """
                    CREATE TEMPORARY TABLE import_rows (
                        n integer PRIMARY KEY, username text NOT NULL, email text NOT NULL,
                        password_hash text NOT NULL, roles text NOT NULL, disabled boolean NOT NULL, outcome text
                    ) ON COMMIT DROP
                    """)
                try connection.copy(
                    "COPY import_rows (n, username, email, password_hash, roles, disabled) FROM STDIN",
                    rows: rows.enumerated().lazy.map { index, row in
                        [
                            String(index), row.username, row.email, row.passwordHash,
                            row.roles.joined(separator: ","), row.disabled ? "t" : "f",
                        ]
                    })
                if !newRoles.isEmpty {
                    try connection.query(
                        "INSERT INTO roles (name) SELECT unnest(string_to_array($1, ',')) ON CONFLICT DO NOTHING",
                        [newRoles.joined(separator: ",")])
                    try Self.audit(
                        actor, "role.create", target: "roles",
                        ["roles": newRoles.joined(separator: ","), "via": "import"],
                        on: connection)
                }
                try Self.classify(on: connection)
                // A concurrent registration of the same name makes ON CONFLICT skip the row: it is
                // classified again below, against the account that won.
                let imported = try connection.query(
                    """
                    WITH inserted AS (
                        INSERT INTO users (username, email, password_hash, disabled)
                        SELECT username, email, password_hash, disabled FROM import_rows
                        WHERE outcome IS NULL ORDER BY n
                        ON CONFLICT DO NOTHING
                        RETURNING id, username
                    ), granted AS (
                        INSERT INTO user_roles (user_id, role)
                        SELECT i.id, unnest(string_to_array(r.roles, ','))
                        FROM inserted i JOIN import_rows r ON r.username = i.username
                    )
                    UPDATE import_rows r SET outcome = 'imported' FROM inserted i WHERE r.username = i.username
                    """
                ).affectedRows
                try Self.classify(on: connection)
                try Self.audit(
                    actor, "user.import", target: "users",
                    ["source": source, "rows": String(rows.count), "imported": String(imported)], on: connection)
                let outcomes = try connection.query("SELECT outcome FROM import_rows ORDER BY n").rows.map {
                    row throws -> ImportOutcome in
                    switch try row.optionalString("outcome") {
                    case "imported": .imported
                    case "unchanged": .unchanged
                    case "email_taken": .emailTaken
                    default: .usernameTaken
                    }
                }
                return outcomes
            }
        }
    }

    /// Rows not yet decided, against the accounts there are: the same username (any case) with the
    /// same e-mail is what an earlier run of this import left; another e-mail, or another account
    /// with this e-mail, is a conflict.
    private static func classify(on connection: PostgresConnection) throws {
        try connection.query(
            """
            UPDATE import_rows r SET outcome = CASE WHEN u.email = r.email THEN 'unchanged' ELSE 'username_taken' END
            FROM users u WHERE r.outcome IS NULL AND lower(u.username) = lower(r.username)
            """)
        try connection.query(
            """
            UPDATE import_rows r SET outcome = 'email_taken'
            FROM users u WHERE r.outcome IS NULL AND u.email = r.email
            """)
    }
}
