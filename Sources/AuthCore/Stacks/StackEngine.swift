/// One line of a stack: `facility control module arguments`, already resolved to a module.
public struct StackEntry: Sendable {
    public let facility: Facility
    public let control: StackControl
    public let module: any StackModule
    /// `file:line`, for messages.
    public let location: String

    public init(facility: Facility, control: StackControl, module: any StackModule, location: String) {
        self.facility = facility
        self.control = control
        self.module = module
        self.location = location
    }
}

/// The outcome of running one facility's modules.
public enum StackVerdict: Sendable, Hashable {
    case success
    /// The first failure that counted, with the entry that produced it.
    case failure(kind: String, reason: String, location: String)
    /// Nothing decided: an empty or all-ignored stack. Denied, like Linux-PAM.
    case undecided

    public var isSuccess: Bool { self == .success }
}

/// Linux-PAM's dispatch (libpam's `_pam_dispatch_aux`): the first result that counts sets a
/// positive or negative impression; a failure overrides a positive impression once, and the first
/// failure is the one reported; `done` returns unless something failed, `die` returns at once; a
/// stack where no module counted is denied.
public enum StackEngine {
    private enum Impression {
        case undefined, positive, negative
    }

    /// Runs `entries` in order through `run`; `done` and `die` stop before the rest run.
    public static func evaluate(
        _ entries: [StackEntry], run: (StackEntry) async throws -> ModuleResult
    ) async rethrows -> StackVerdict {
        var impression = Impression.undefined
        var status = ModuleResult.success
        var location = ""
        func decision() -> StackVerdict {
            switch (impression, status) {
            case (.undefined, _): return .undecided
            case (.positive, .success): return .success
            case (_, .failure(let kind, let reason)): return .failure(kind: kind, reason: reason, location: location)
            case (_, .success), (_, .ignore):
                return .failure(kind: "auth_err", reason: "a success was mapped to failure", location: location)
            }
        }
        for entry in entries {
            let result = try await run(entry)
            let action = entry.control.action(for: result)
            switch action {
            case .ignore:
                continue
            case .ok, .done:
                if impression == .undefined || (impression == .positive && status == .success), result != .ignore {
                    impression = .positive
                    status = result
                    location = entry.location
                }
                if action == .done, impression != .negative { return decision() }
            case .bad, .die:
                if impression != .negative {
                    impression = .negative
                    status = result
                    location = entry.location
                }
                if action == .die { return decision() }
            }
        }
        return decision()
    }
}
