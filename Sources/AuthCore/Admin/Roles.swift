/// Built-in role names. Roles live in the database; these two always exist.
public enum Role {
    /// Every new account gets it.
    public static let user = "user"
    /// Holds every administrative permission; at least one enabled account keeps it.
    public static let admin = "admin"
}

/// Permissions the admin API checks. Services may define and check their own with `HASPERM`.
public enum Permission {
    public static let usersRead = "users:read"
    public static let usersWrite = "users:write"
    public static let rolesRead = "roles:read"
    public static let rolesWrite = "roles:write"
    public static let sessionsRevoke = "sessions:revoke"
    public static let auditRead = "audit:read"
    public static let clientsRead = "clients:read"
    public static let clientsWrite = "clients:write"
}

/// A role and the permissions it grants.
public struct RoleInfo: Hashable, Sendable {
    public var name: String
    public var description: String
    public var builtin: Bool
    public var permissions: [String]

    public init(name: String, description: String = "", builtin: Bool = false, permissions: [String] = []) {
        self.name = name
        self.description = description
        self.builtin = builtin
        self.permissions = permissions
    }
}

/// What a request must hold beyond a valid token.
public enum Requirement: Hashable, Sendable {
    case role(String)
    case permission(String)
    /// An OAuth scope the token was granted.
    case scope(String)
}

extension Identity {
    /// Role names: 1–64 of `[a-z0-9_.-]`, starting with a letter (the database checks the same).
    public static func validRoleName(_ name: String) throws(AuthError) -> String {
        guard isRoleName(name) else {
            throw AuthError(.invalidInput, "role names are 1 to 64 of a-z, 0-9, '_', '.', '-', starting with a letter")
        }
        return name
    }

    /// Permissions: a role-like name and one to three `:`-separated parts, e.g. `users:read`.
    public static func validPermission(_ permission: String) throws(AuthError) -> String {
        let parts = permission.split(separator: ":", omittingEmptySubsequences: false)
        let partBytes: (Substring) -> Bool = { part in
            (1...64).contains(part.utf8.count)
                && part.utf8.allSatisfy { isLowerAlphanumeric($0) || "_.-*".utf8.contains($0) }
        }
        guard (2...4).contains(parts.count), isRoleName(String(parts[0])), parts.dropFirst().allSatisfy(partBytes)
        else {
            throw AuthError(.invalidInput, "permissions look like 'users:read': lower-case names separated by ':'")
        }
        return permission
    }

    static func isRoleName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (1...64).contains(name.utf8.count),
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return name.utf8.allSatisfy { isLowerAlphanumeric($0) || "_.-".utf8.contains($0) }
    }

    static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
