/// The bundled list of common passwords (see `CommonPasswords+List.swift` for its source and
/// licence), looked up case-insensitively.
public struct CommonPasswords: Sendable {
    private let words: Set<String>

    public static let bundled = CommonPasswords(list: bundledList)

    public init(list: String) {
        words = Set(list.split(separator: "\n").map { $0.lowercased() })
    }

    public var count: Int { words.count }

    public func contains(_ password: String) -> Bool {
        words.contains(password.lowercased())
    }
}
