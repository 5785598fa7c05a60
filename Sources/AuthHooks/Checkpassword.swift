public import AuthLineProtocol

/// The checkpassword interface (qmail's, with Dovecot's extensions): `user\0password\0timestamp\0`
/// on fd 3, at most 512 bytes; exit 0 after running the reply program given as arguments, 1 when
/// the login is refused, 111 when no answer could be given.
public enum Checkpassword {
    public static let maximumInputLength = 512

    public enum Exit: Int32, Sendable {
        case accepted = 0
        case refused = 1
        case usage = 2
        case temporaryFailure = 111
    }

    public struct Credentials: Sendable, Equatable {
        public var user: String
        public var password: [UInt8]
    }

    /// The user and password of fd 3's bytes; nil when they are not two NUL-terminated fields
    /// (the timestamp after them may be missing), the user is empty or not UTF-8, or the input is
    /// longer than the interface allows.
    public static func credentials(_ input: [UInt8]) -> Credentials? {
        guard input.count <= maximumInputLength else { return nil }
        let fields = input.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, let user = String(validating: fields[0], as: UTF8.self), !user.isEmpty else {
            return nil
        }
        return Credentials(user: user, password: Array(fields[1]))
    }

    /// How the helper ends for authd's reply (nil: none came): only `OK` accepts.
    public static func exit(for reply: LineReply?) -> Exit {
        switch reply?.status {
        case .ok: .accepted
        case .no where reply?.reason == "auth_failed" || reply?.reason == "forbidden": .refused
        case .no, .temp, .bad, nil: .temporaryFailure
        }
    }
}
