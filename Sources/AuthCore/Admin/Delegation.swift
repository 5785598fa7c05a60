/// Who may hand out what through the admin API: nobody grants a role or a permission they do not
/// hold, and nobody manages an account that holds a role they do not. `admin` is the root of
/// delegation: its holders may do all of it (and only they can give or take `admin`, as nobody
/// else holds it). `user`, every account's role from registration, counts as held by everyone.
/// Operators at the command line (`Actor.roles == nil`) are not limited.
public struct Delegation: Sendable {
    /// The acting token's roles, and the permissions those roles grant now; nil: unlimited.
    let held: (roles: Set<String>, permissions: Set<String>)?

    public init(roles: [String]?, permissions: Set<String>) {
        held = roles.map { roles in (Set(roles).union([Role.user]), permissions) }
    }

    /// What limits the actor; nil for an operator or an admin, whom nothing limits.
    private var limits: (roles: Set<String>, permissions: Set<String>)? {
        guard let held, !held.roles.contains(Role.admin) else { return nil }
        return held
    }

    private func holds(roles: some Sequence<String>) -> Bool {
        guard let limits else { return true }
        return roles.allSatisfy(limits.roles.contains)
    }

    /// Changing `before` to `after` touches only roles the actor holds, on an account whose
    /// roles the actor holds.
    public func mayChangeRoles(from before: [String], to after: [String]) -> Bool {
        holds(roles: before) && holds(roles: Set(before).symmetricDifference(after))
    }

    /// Disable, delete, revoke or reset an account holding `roles`.
    public func mayManage(accountWith roles: [String]) -> Bool {
        holds(roles: roles)
    }

    /// Give `permissions` to a role (creating it, or one at a time).
    public func mayGrant(_ permissions: some Sequence<String>) -> Bool {
        guard let limits else { return true }
        return permissions.allSatisfy(limits.permissions.contains)
    }

    static let refused = AuthError(
        .forbidden, "you may only grant roles and permissions you hold, and manage accounts whose roles you hold")
}
