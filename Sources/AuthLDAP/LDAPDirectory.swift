public import AuthCore
import AuthCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// The tree authd publishes under `ldap.base_dn`, and how accounts and roles become entries:
///
///     BASE                          dcObject / organization
///     ou=people,BASE                uid=NAME: inetOrgPerson + posixAccount
///     ou=groups,BASE                cn=ROLE: groupOfNames + posixGroup
///
/// Numbers are derived, never stored: `uidNumber` is `uidNumberBase` plus the account's id and its
/// `gidNumber` the same (a private group, as Debian's adduser makes); a role's `gidNumber` is
/// `groupNumberBase` plus a hash of its name below one million. `entryUUID` is a name-based UUID
/// of the account's id and creation time, so it stays the same for the same account.
public struct LDAPDirectory: Sendable {
    public var base: String
    public let baseDN: LDAPDistinguishedName
    /// Binds as `NAME@domain` name the user NAME.
    public var domain: String
    public var uidNumberBase: Int64
    public var groupNumberBase: Int64
    public var loginShell: String

    public init(
        base: String = "dc=authd,dc=local", domain: String? = nil, uidNumberBase: Int64 = 10_000,
        groupNumberBase: Int64 = 1_000_000, loginShell: String = "/bin/bash"
    ) throws(BERError) {
        guard let baseDN = LDAPDistinguishedName(base), !baseDN.rdns.isEmpty else {
            throw BERError("ldap.base_dn is not a distinguished name")
        }
        self.base = base
        self.baseDN = baseDN
        self.domain = (domain ?? baseDN.rdns.filter { $0.type == "dc" }.map(\.value).joined(separator: "."))
            .lowercased()
        self.uidNumberBase = uidNumberBase
        self.groupNumberBase = groupNumberBase
        self.loginShell = loginShell
    }

    /// What a DN names.
    public enum Target: Hashable, Sendable {
        case rootDSE
        case schema
        case base
        case people
        case groups
        case user(String)
        case group(String)
    }

    public static let schemaDN = "cn=Subschema"

    /// Nil when the DN names nothing authd publishes.
    public func target(_ dn: String) -> Target? {
        guard let name = LDAPDistinguishedName(dn) else { return nil }
        if name.rdns.isEmpty { return .rootDSE }
        if name == LDAPDistinguishedName(Self.schemaDN) { return .schema }
        if name == baseDN { return .base }
        guard name.isBelow(baseDN, by: 1) || name.isBelow(baseDN, by: 2) else { return nil }
        let branch = name.rdns[name.rdns.count - baseDN.rdns.count - 1]
        guard branch.type == "ou" else { return nil }
        let leaf = name.rdns.count == baseDN.rdns.count + 1 ? nil : name.rdns[0]
        switch (branch.value, leaf) {
        case ("people", nil): return .people
        case ("groups", nil): return .groups
        case ("people", let leaf?) where leaf.type == "uid": return .user(leaf.value)
        case ("groups", let leaf?) where leaf.type == "cn": return .group(leaf.value)
        default: return nil
        }
    }

    /// The answer for a base that names nothing visible: the base DN as the part that matched
    /// when the name is below it.
    func noSuchObject(_ dn: String) -> LDAPResult {
        let below = LDAPDistinguishedName(dn).map { name in
            name.rdns.count > baseDN.rdns.count && Array(name.rdns.suffix(baseDN.rdns.count)) == baseDN.rdns
        }
        return LDAPResult(.noSuchObject, "no such entry", matchedDN: below == true ? base : "")
    }

    /// The username a simple bind names: `uid=NAME,ou=people,BASE` or `NAME@DOMAIN`.
    public func username(bindName: String) -> String? {
        if !bindName.contains("="), let at = bindName.lastIndex(of: "@") {
            guard bindName[bindName.index(after: at)...].lowercased() == domain else { return nil }
            return String(bindName[..<at])
        }
        guard case .user(let name) = target(bindName) else { return nil }
        return name
    }

    public func userDN(_ username: String) -> String { "uid=\(username),ou=people,\(base)" }
    public func groupDN(_ role: String) -> String { "cn=\(role),ou=groups,\(base)" }

    // MARK: Entries

    public func rootDSE(startTLS: Bool) -> LDAPEntry {
        var extensions = [Self.whoAmI]
        if startTLS { extensions.append(Self.startTLS) }
        return LDAPEntry(
            dn: "",
            attributes: [
                ("objectClass", ["top"]), ("namingContexts", [base]), ("supportedLDAPVersion", ["3"]),
                ("supportedControl", [LDAPControl.pagedResults]), ("supportedExtension", extensions),
                ("supportedSASLMechanisms", []), ("subschemaSubentry", [Self.schemaDN]), ("vendorName", ["authd"]),
            ].filter { !$0.1.isEmpty })
    }

    public func baseEntry() -> LDAPEntry {
        let first = baseDN.rdns[0]
        let classes = first.type == "dc" ? ["top", "dcObject", "organization"] : ["top", "organization"]
        return LDAPEntry(
            dn: base,
            attributes: [("objectClass", classes), (first.type, [first.value])]
                + (first.type == "o" ? [] : [("o", [first.value])]))
    }

    public func branch(_ name: String) -> LDAPEntry {
        LDAPEntry(
            dn: "ou=\(name),\(base)", attributes: [("objectClass", ["top", "organizationalUnit"]), ("ou", [name])])
    }

    public func entry(_ user: User) -> LDAPEntry {
        let number = String(uidNumberBase + user.id)
        return LDAPEntry(
            dn: userDN(user.username),
            attributes: [
                ("objectClass", ["top", "person", "organizationalPerson", "inetOrgPerson", "posixAccount"]),
                ("uid", [user.username]), ("cn", [user.username]), ("sn", [user.username]),
                ("displayName", [user.username]), ("mail", [user.email]),
                ("memberOf", user.roles.sorted().map(groupDN)), ("uidNumber", [number]), ("gidNumber", [number]),
                ("homeDirectory", ["/home/\(user.username)"]), ("loginShell", [loginShell]),
                ("entryUUID", [Self.uuid("user \(user.id) \(user.createdAt)")]),
                ("createTimestamp", [Self.generalizedTime(user.createdAt)]),
            ].filter { !$0.1.isEmpty })
    }

    public func entry(_ group: DirectoryGroup) -> LDAPEntry {
        LDAPEntry(
            dn: groupDN(group.name),
            attributes: [
                ("objectClass", ["top", "groupOfNames", "posixGroup"]), ("cn", [group.name]),
                ("description", group.description.isEmpty ? [] : [group.description]),
                ("gidNumber", [String(groupNumber(group.name))]), ("member", group.members.map(userDN)),
                ("memberUid", group.members), ("entryUUID", [Self.uuid("group \(group.name)")]),
            ].filter { !$0.1.isEmpty })
    }

    /// A role's `gidNumber`: FNV-1a of its name, below one million, over `groupNumberBase`.
    func groupNumber(_ role: String) -> Int64 {
        let hash = role.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
        return groupNumberBase + Int64(hash % 1_000_000)
    }

    /// A UUID (version 8, RFC 9562) from the SHA-256 of `name`.
    static func uuid(_ name: String) -> String {
        var bytes = (try? Digest.hash(.sha256, Array("authd entryUUID \(name)".utf8))) ?? Array(repeating: 0, count: 32)
        bytes[6] = bytes[6] & 0x0F | 0x80
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = Hex.encode(bytes.prefix(16))
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex.dropFirst(range.lowerBound).prefix(range.count))
        }
        return parts.joined(separator: "-")
    }

    /// `YYYYMMDDhhmmssZ`.
    static func generalizedTime(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    static let whoAmI = "1.3.6.1.4.1.4203.1.11.3"
    static let startTLS = "1.3.6.1.4.1.1466.20037"
}
