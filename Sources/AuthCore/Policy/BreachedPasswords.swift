import AuthCrypto
public import Logging
import Metrics

/// Where the Pwned Passwords ranges come from: the range API or a local copy of it.
public protocol PasswordRangeSource: Sendable, CustomStringConvertible {
    /// The lines `SUFFIX:COUNT` of every SHA-1 beginning with `prefix` (five upper-case hex
    /// digits): the other 35 digits and how often that password was seen in breaches.
    func range(_ prefix: String) async throws -> String
}

/// Refuses passwords known from data breaches (NIST SP 800-63B §5.1.1.2), by k-anonymity: only
/// the first five hex digits of the password's SHA-1 leave authd, and the answer lists every
/// suffix under them (padded with decoys when the API adds them), so the source learns nothing
/// about which password was checked. When the source cannot answer, `failOpen` lets the password
/// through (logged and counted), else the change is refused as `unavailable`.
public struct BreachedPasswords: Sendable {
    let source: any PasswordRangeSource
    let failOpen: Bool
    /// Seen at least this often: refused.
    let minimumCount: Int
    let logger: Logger

    public init(source: any PasswordRangeSource, failOpen: Bool, minimumCount: Int = 1, logger: Logger) {
        self.source = source
        self.failOpen = failOpen
        self.minimumCount = minimumCount
        self.logger = logger
    }

    /// `weakPassword` when the source lists the password.
    public func check(_ password: String) async throws {
        let hash = Hex.encode(try Digest.hash(.sha1, Array(password.utf8))).uppercased()
        let (prefix, suffix) = (String(hash.prefix(5)), hash.dropFirst(5))
        let lines: String
        do {
            lines = try await source.range(prefix)
        } catch {
            Counter(label: "authd_breached_password_checks_total", dimensions: [("result", "unavailable")]).increment()
            logger.warning(
                "breached-password check unavailable",
                metadata: ["source": "\(source)", "error": "\(error)", "fail": failOpen ? "open" : "closed"])
            guard failOpen else {
                throw AuthError(.unavailable, "the breached-password check cannot be reached; try again shortly")
            }
            return
        }
        let seen = Self.count(of: suffix, in: lines)
        let found = seen >= minimumCount
        Counter(label: "authd_breached_password_checks_total", dimensions: [("result", found ? "found" : "clean")])
            .increment()
        guard !found else {
            throw AuthError(
                .weakPassword, "password appears in known data breaches (\(seen) times); choose another")
        }
    }

    /// How often the range says `suffix` was seen; 0 when it is not listed (or only as padding).
    static func count(of suffix: Substring, in lines: String) -> Int {
        for line in lines.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].count == 35,
                line[..<colon].uppercased() == suffix
            else { continue }
            return Int(line[line.index(after: colon)...].filter(\.isNumber)) ?? 0
        }
        return 0
    }
}
