/// `active`: the account exists and is not disabled.
struct ActiveModule: StackModule {
    let environment: StackEnvironment

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult {
        // A verified token stands for an active account until revocation says otherwise.
        if attempt.token != nil { return .success }
        guard let user = try await environment.loadUser(&attempt) else {
            return .failure(kind: "user_unknown", reason: "no such user")
        }
        return user.disabled ? .failure(kind: "acct_expired", reason: "account disabled") : .success
    }
}

/// `role any=a,b` / `role all=a,b`: the account holds one of / all of the roles.
struct RoleModule: StackModule {
    let environment: StackEnvironment
    let any: Set<String>?
    let all: Set<String>?

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult {
        let held: [String]
        if let token = attempt.token {
            held = token.roles
        } else if let user = try await environment.loadUser(&attempt) {
            held = user.roles
        } else {
            return .failure(kind: "user_unknown", reason: "no such user")
        }
        let roles = Set(held)
        if let any, roles.isDisjoint(with: any) { return .failure(kind: "perm_denied", reason: "missing role") }
        if let all, !all.isSubset(of: roles) { return .failure(kind: "perm_denied", reason: "missing role") }
        return .success
    }
}

/// `verified`: the account's e-mail address is verified. For a token (VERIFY with a service) it
/// reads the account by the token's subject: the one account module that costs a query there.
struct VerifiedModule: StackModule {
    let environment: StackEnvironment

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult {
        let user: User?
        if let token = attempt.token {
            guard let id = Int64(token.subject) else { return .failure(kind: "user_unknown", reason: "not an account") }
            user = try await environment.users.find(id: id)
        } else {
            user = try await environment.loadUser(&attempt)
        }
        guard let user else { return .failure(kind: "user_unknown", reason: "no such user") }
        return user.emailVerified ? .success : .failure(kind: "acct_expired", reason: "e-mail address not verified")
    }
}

/// `permit` and `deny`: fixed answers, for building and testing stacks.
struct FixedAnswerModule: StackModule {
    let result: ModuleResult

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult { result }
}

/// `totp if=enrolled|always`: a current TOTP code (`otp=` over the line protocol, the second step
/// of an HTTP login) or an unused recovery code, for users with MFA on (`enrolled`) or for every
/// user (`always`: users without MFA cannot pass). Without MFA configured it fails whenever it
/// applies.
struct TOTPModule: StackModule {
    let environment: StackEnvironment
    let always: Bool

    var runsInSecondStep: Bool { true }

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult {
        let user = try await environment.loadUser(&attempt)
        guard always || user?.mfaEnabled == true else { return .ignore }
        guard let user, let secondFactor = environment.secondFactor else {
            return .failure(kind: "cred_insufficient", reason: "no second factor available")
        }
        if attempt.deferSecondFactor {
            attempt.secondFactorPending = true
            return .success
        }
        guard let code = attempt.otp, try await secondFactor.verify(code, userID: user.id, now: environment.clock())
        else {
            return .failure(kind: "auth_err", reason: "missing, wrong or reused one-time code")
        }
        return .success
    }
}

extension ModuleRegistry {
    static func list(_ text: String?, _ arguments: ModuleArguments, _ key: String) throws -> Set<String>? {
        guard let text else { return nil }
        let items = Set(text.split(separator: ",").map(String.init))
        guard !items.isEmpty else { throw arguments.error("\(key)= needs a comma-separated list") }
        return items
    }

    static func registerAccountModules(_ registry: inout ModuleRegistry, _ environment: StackEnvironment) {
        registry.register("active") { arguments in
            try arguments.allowOnly([])
            return ActiveModule(environment: environment)
        }
        registry.register("verified") { arguments in
            try arguments.allowOnly([])
            return VerifiedModule(environment: environment)
        }
        registry.register("mailcode") { arguments in
            try arguments.allowOnly([])
            return MailCodeModule(environment: environment)
        }
        registry.register("role") { arguments in
            try arguments.allowOnly(["any", "all"])
            let any = try list(arguments.string("any"), arguments, "any")
            let all = try list(arguments.string("all"), arguments, "all")
            guard any != nil || all != nil else { throw arguments.error("role needs any= or all=") }
            return RoleModule(environment: environment, any: any, all: all)
        }
        registry.register("permit") { arguments in
            try arguments.allowOnly([])
            return FixedAnswerModule(result: .success)
        }
        registry.register("deny") { arguments in
            try arguments.allowOnly([])
            return FixedAnswerModule(result: .failure(kind: "perm_denied", reason: "denied by stack"))
        }
        registry.register("totp") { arguments in
            try arguments.allowOnly(["if"])
            switch arguments.string("if") ?? "enrolled" {
            case "enrolled": return TOTPModule(environment: environment, always: false)
            case "always": return TOTPModule(environment: environment, always: true)
            default: throw arguments.error("if= must be enrolled or always")
            }
        }
    }
}
