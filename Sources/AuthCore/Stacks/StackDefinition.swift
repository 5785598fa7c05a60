/// PAM's two questions: who are you (`auth`), and may you, now (`account`).
public enum Facility: String, Sendable, CaseIterable {
    case auth
    case account
}

/// What a module's result makes the stack do, as in Linux-PAM's bracket syntax.
public enum StackAction: String, Sendable, Hashable {
    /// Take the result (if nothing failed before) and go on.
    case ok
    /// Like ok, then stop with the stack's result.
    case done
    /// Record a failure (if none before) and go on.
    case bad
    /// Record a failure (if none before) and stop.
    case die
    /// The result does not count.
    case ignore
}

/// How a module's result counts: the four classic controls, or explicit actions per result.
public struct StackControl: Sendable, Hashable {
    /// Action per result kind (`success`, `ignore` or a failure kind); `default` covers the rest.
    public let actions: [String: StackAction]
    public let defaultAction: StackAction

    public init(actions: [String: StackAction], defaultAction: StackAction) {
        self.actions = actions
        self.defaultAction = defaultAction
    }

    /// The classic controls, with Linux-PAM's definitions (pam.conf(5)).
    public static let required = StackControl(actions: ["success": .ok, "ignore": .ignore], defaultAction: .bad)
    public static let requisite = StackControl(actions: ["success": .ok, "ignore": .ignore], defaultAction: .die)
    public static let sufficient = StackControl(actions: ["success": .done], defaultAction: .ignore)
    public static let optional = StackControl(actions: ["success": .ok], defaultAction: .ignore)

    func action(for result: ModuleResult) -> StackAction {
        actions[result.kind] ?? defaultAction
    }
}

/// A module's answer. Failures carry a PAM-like kind (`auth_err`, `user_unknown`, `maxtries`,
/// `perm_denied`, …) that bracket controls can match, and a reason for logs.
public enum ModuleResult: Sendable, Hashable {
    case success
    case ignore
    case failure(kind: String, reason: String)

    var kind: String {
        switch self {
        case .success: "success"
        case .ignore: "ignore"
        case .failure(let kind, _): kind
        }
    }

    /// The result kinds a bracket control may name.
    public static let kinds: Set<String> = [
        "success", "ignore", "auth_err", "user_unknown", "maxtries", "perm_denied", "acct_expired", "cred_insufficient",
    ]
}
