/// Who reads the directory through a front end that publishes it (LDAP): nobody bound yet, or a
/// user who proved a password (a person, or an application's service account).
public enum DirectoryReader: Hashable, Sendable {
    case anonymous
    case user(id: Int64)
}

/// What a reader may see of the directory. Users see their own entry and the groups they are in;
/// a reader whose roles grant `users:read` (a service account for an application, an
/// administrator) sees every user and every group; an anonymous reader sees nothing, or everything
/// where the operator allowed anonymous searches.
public struct DirectoryReadPolicy: Sendable {
    public enum Scope: Hashable, Sendable {
        case nothing
        case only(User)
        case everyone
    }

    /// `ldap.anonymous_search`: anonymous readers see everything (off by default).
    public var anonymousReadsAll: Bool
    /// The permission that lets a bound reader see everyone.
    public static let readEveryone = Permission.usersRead

    public init(anonymousReadsAll: Bool = false) {
        self.anonymousReadsAll = anonymousReadsAll
    }

    /// `user` is the reader's account as stored now (nil when it is gone); `permissions` its
    /// roles' permissions.
    func scope(anonymous: Bool, user: User?, permissions: (User) -> Set<String>) -> Scope {
        if anonymous { return anonymousReadsAll ? .everyone : .nothing }
        guard let user, !user.disabled else { return .nothing }
        return permissions(user).contains(Self.readEveryone) ? .everyone : .only(user)
    }
}

/// A role as a group of the directory, with the usernames of the members the reader may see.
public struct DirectoryGroup: Hashable, Sendable {
    public var name: String
    public var description: String
    public var members: [String]
}

/// The directory as a front end publishes it, read under `DirectoryReadPolicy`. Each call reads
/// the reader's account again, so a disabled account or a lost permission counts at once, on a
/// connection bound before the change too.
public struct DirectoryService: Sendable {
    let users: any UserStore
    let directory: any DirectoryStore
    let revocations: RevocationState
    public let policy: DirectoryReadPolicy

    public init(assembly: AuthAssembly, policy: DirectoryReadPolicy) {
        users = assembly.stores.users
        directory = assembly.stores.directory
        revocations = assembly.revocations
        self.policy = policy
    }

    /// What `reader` may see now.
    public func scope(of reader: DirectoryReader) async throws -> DirectoryReadPolicy.Scope {
        switch reader {
        case .anonymous:
            return policy.scope(anonymous: true, user: nil) { _ in [] }
        case .user(let id):
            let user = try await users.find(id: id)
            return policy.scope(anonymous: false, user: user) { [revocations] in revocations.permissions(of: $0.roles) }
        }
    }

    /// The user named `username` (case-insensitively), if the scope shows it.
    public func user(named username: String, in scope: DirectoryReadPolicy.Scope) async throws -> User? {
        switch scope {
        case .nothing: return nil
        case .only(let user): return user.username.lowercased() == username.lowercased() ? user : nil
        case .everyone: return try await users.find(username: username)
        }
    }

    /// Users the scope shows, in ascending id order with id > `after`, at most `limit`.
    public func users(after: Int64?, limit: Int, in scope: DirectoryReadPolicy.Scope) async throws -> [User] {
        switch scope {
        case .nothing: return []
        case .only(let user): return user.id > (after ?? .min) && limit > 0 ? [user] : []
        case .everyone: return try await directory.users(matching: UserFilter(), after: after, limit: limit)
        }
    }

    /// Every role as a group, by name, with the members the scope shows; a user alone sees only
    /// the groups they are in, with themselves as the only member.
    public func groups(in scope: DirectoryReadPolicy.Scope) async throws -> [DirectoryGroup] {
        switch scope {
        case .nothing:
            return []
        case .only(let user):
            let roles = try await directory.roles().filter { user.roles.contains($0.name) }
            return roles.map { DirectoryGroup(name: $0.name, description: $0.description, members: [user.username]) }
                .sorted { $0.name < $1.name }
        case .everyone:
            var members: [String: [String]] = [:]
            var after: Int64?
            while true {
                let page = try await directory.users(matching: UserFilter(), after: after, limit: Self.page)
                for user in page { for role in user.roles { members[role, default: []].append(user.username) } }
                guard page.count == Self.page, let last = page.last else { break }
                after = last.id
            }
            return try await directory.roles().map {
                DirectoryGroup(name: $0.name, description: $0.description, members: members[$0.name] ?? [])
            }.sorted { $0.name < $1.name }
        }
    }

    /// Users read per query when every member of every group is needed.
    static let page = 500
}
