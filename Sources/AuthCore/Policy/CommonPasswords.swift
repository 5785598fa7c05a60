/// A deny-list of common passwords, looked up case-insensitively. authd ships one in
/// `data/common-passwords.txt` (see data/README.md for its source and licence), read once at
/// start from `password.common_list`.
public struct CommonPasswords: Sendable {
    private let words: Set<String>

    /// No list: nothing is refused as common.
    public static let none = CommonPasswords(list: "")

    /// One password per line; empty lines are ignored.
    public init(list: String) {
        words = Set(list.split(separator: "\n").map { $0.lowercased() })
    }

    public var count: Int { words.count }

    public func contains(_ password: String) -> Bool {
        words.contains(password.lowercased())
    }
}
