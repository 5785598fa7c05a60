import Metrics

/// `lockout attempts=5 window=15m lock=15m [by=account+source|account]`: refuses while the account
/// (by default: the account from this client address) has `attempts` failed stacks within `window`,
/// for `lock`. Counters live in PostgreSQL, so every instance sees the same lock. A locked account
/// fails with `maxtries`, which front ends answer exactly like a wrong password.
///
/// `by=account+source` (the default) keeps an attacker from locking a user out from elsewhere;
/// `by=account` also stops distributed guessing at the price of that denial-of-service lever.
struct LockoutModule: StackModule {
    let store: any LockoutStore
    let policy: LockoutPolicy
    let perSource: Bool

    static func register(_ registry: inout ModuleRegistry, _ environment: StackEnvironment) {
        registry.register("lockout") { arguments in
            try arguments.allowOnly(["attempts", "window", "lock", "by"])
            guard let store = environment.lockouts else { throw arguments.error("lockout needs the database") }
            guard let attempts = Int(arguments.string("attempts") ?? "5"), (1...1000).contains(attempts) else {
                throw arguments.error("attempts= must be 1 to 1000")
            }
            let perSource: Bool
            switch arguments.string("by") ?? "account+source" {
            case "account+source": perSource = true
            case "account": perSource = false
            default: throw arguments.error("by= must be account or account+source")
            }
            let policy = LockoutPolicy(
                attempts: attempts,
                windowSeconds: try seconds(arguments.string("window") ?? "15m", arguments, "window"),
                lockSeconds: try seconds(arguments.string("lock") ?? "15m", arguments, "lock"))
            return LockoutModule(store: store, policy: policy, perSource: perSource)
        }
    }

    /// `90`, `90s`, `15m`, `2h`, `1d`.
    static func seconds(_ text: String, _ arguments: ModuleArguments, _ key: String) throws -> Int {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        let unit = text.last.flatMap { units[$0] }
        guard let value = Int(unit == nil ? Substring(text) : text.dropLast()), value > 0 else {
            throw arguments.error("\(key)= must be a duration such as 30s, 15m or 2h")
        }
        return value * (unit ?? 1)
    }

    private func key(_ attempt: AuthAttempt) -> (String, String) {
        (attempt.username.lowercased(), perSource ? (attempt.sourceKey ?? "") : "")
    }

    func run(_ attempt: inout AuthAttempt, facility: Facility) async throws -> ModuleResult {
        let (username, source) = key(attempt)
        let locked = try await store.isLocked(username: username, source: source, under: policy)
        return locked ? .failure(kind: "maxtries", reason: "account locked") : .success
    }

    var runsInSecondStep: Bool { true }

    func stackFinished(_ attempt: AuthAttempt, succeeded: Bool) async {
        let (username, source) = key(attempt)
        // A right password with the code still to come neither counts nor clears failures, so
        // alternating logins and wrong codes cannot dodge the lock.
        if succeeded, attempt.secondFactorPending { return }
        if succeeded {
            try? await store.reset(username: username, source: source)
        } else {
            let counter = try? await store.recordFailure(username: username, source: source, under: policy)
            if let counter, policy.justLocked(counter) {
                Counter(label: "authd_lockouts_total", dimensions: [("service", attempt.service)]).increment()
            }
        }
    }
}
