public import AuthCore
public import Logging

/// Postfix's policy delegation (`check_policy_service inet:…`, Postfix's SMTPD_POLICY_README):
/// `name=value` lines ended by an empty line, answered `action=…` and an empty line, many requests
/// per connection. Mail from a SASL login is refused when the account may no longer use the
/// service: disabled, locked from the client's address, or refused by the stack's `account`
/// modules (a role, hours). Anything else is not this check's business (`DUNNO`), a name authd
/// has no account for included: it is answered as an allowed account is, so the policy service
/// tells no caller which names exist.
public struct PostfixPolicyConversation: HookConversation {
    /// Attributes in one request, at most (Postfix sends about 30).
    static let maximumAttributes = 100

    let service: AuthService
    let logger: Logger
    /// The stack whose account checks decide.
    let stack: String
    private var attributes: [String: String] = [:]
    private var count = 0
    private var malformed: String?

    public init(service: AuthService, logger: Logger, stack: String) {
        self.service = service
        self.logger = logger
        self.stack = stack
    }

    public func greeting() -> [UInt8] { [] }

    public mutating func handle(_ line: [UInt8]) async -> HookStep {
        guard line.isEmpty else {
            count += 1
            guard count <= Self.maximumAttributes else {
                logger.notice("postfix policy: closing a connection: more than 100 attributes in a request")
                return HookStep(close: true)
            }
            guard let text = String(validating: line, as: UTF8.self), let equals = text.firstIndex(of: "="),
                equals != text.startIndex
            else {
                malformed = malformed ?? "a line that is not UTF-8 name=value"
                return HookStep()
            }
            let name = String(text[..<equals])
            guard attributes[name] == nil else {
                malformed = malformed ?? "attribute \(name.prefix(32)) given twice"
                return HookStep()
            }
            attributes[name] = String(text[text.index(after: equals)...])
            return HookStep()
        }
        defer {
            attributes = [:]
            count = 0
            malformed = nil
        }
        return HookStep("action=\(await decide())\n\n")
    }

    private func decide() async -> String {
        if let malformed {
            logger.notice("postfix policy: \(malformed)")
            return "DEFER_IF_PERMIT 4.7.1 malformed policy request"
        }
        guard attributes["request"] == "smtpd_access_policy" else {
            logger.notice("postfix policy: a request that is not smtpd_access_policy")
            return "DEFER_IF_PERMIT 4.7.1 unknown policy request"
        }
        guard let user = attributes["sasl_username"], !user.isEmpty else { return "DUNNO" }
        let client = attributes["client_address"].flatMap(IPAddress.init).map(\.description)
        do {
            _ = try await service.checkAccount(service: stack, username: user, source: client)
            return "DUNNO"
        } catch {
            switch HookVerdict(error) {
            case .refused: return "REJECT 5.7.1 this account may not send mail now"
            case .temporary: return "DEFER_IF_PERMIT 4.7.1 try again later"
            case .misconfigured:
                logger.error("postfix policy: the account could not be checked", metadata: ["error": "\(error)"])
                return "DEFER_IF_PERMIT 4.7.1 try again later"
            }
        }
    }
}
