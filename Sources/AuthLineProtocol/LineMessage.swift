/// One request line, split and unescaped: `COMMAND\tID\tfield…`.
public struct LineRequest: Hashable, Sendable {
    public var command: String
    public var id: String
    public var fields: [String]

    public init(command: String, id: String, fields: [String] = []) {
        self.command = command
        self.id = id
        self.fields = fields
    }
}

/// One reply line: `OK|NO|TEMP|BAD\tID\tkey=value…`.
public struct LineReply: Hashable, Sendable {
    public enum Status: String, Sendable {
        case ok = "OK"
        case no = "NO"
        case temp = "TEMP"
        case bad = "BAD"
    }

    public var status: Status
    /// The request's ID, or `*` when none could be read.
    public var id: String
    public var attributes: [(key: String, value: String)]

    public init(_ status: Status, id: String, _ attributes: [(key: String, value: String)] = []) {
        self.status = status
        self.id = id
        self.attributes = attributes
    }

    public static func == (lhs: LineReply, rhs: LineReply) -> Bool {
        lhs.status == rhs.status && lhs.id == rhs.id
            && lhs.attributes.map(\.key) == rhs.attributes.map(\.key)
            && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(status)
        hasher.combine(id)
        for attribute in attributes {
            hasher.combine(attribute.key)
            hasher.combine(attribute.value)
        }
    }

    public static func bad(_ id: String, _ reason: String) -> LineReply {
        LineReply(.bad, id: id, [("reason", reason)])
    }

    public static func no(_ id: String, _ reason: String) -> LineReply {
        LineReply(.no, id: id, [("reason", reason)])
    }

    public static func temp(_ id: String, _ reason: String) -> LineReply {
        LineReply(.temp, id: id, [("reason", reason)])
    }
}
