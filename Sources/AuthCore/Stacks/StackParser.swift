/// A stack file problem, as `file:line: message`. Stops start-up.
public struct StackConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ location: String, _ message: String) { self.message = "\(location): \(message)" }
    public var description: String { message }
}

/// A module line's `key=value` arguments. Factories take what they know; any argument left
/// unread is an error, so a typo never silently weakens a stack.
public struct ModuleArguments: Sendable {
    public let location: String
    private let values: [String: String]

    init(_ values: [String: String], location: String) {
        self.values = values
        self.location = location
    }

    public func string(_ key: String) -> String? { values[key] }

    public func error(_ message: String) -> StackConfigError { StackConfigError(location, message) }

    /// Throws naming the first argument not in `known`.
    public func allowOnly(_ known: Set<String>) throws(StackConfigError) {
        if let unknown = values.keys.filter({ !known.contains($0) }).sorted().first {
            throw error("unknown argument '\(unknown)'")
        }
    }
}

/// Modules by name. The daemon registers the built-in ones; tests may add their own.
public struct ModuleRegistry: Sendable {
    public typealias Factory = @Sendable (ModuleArguments) throws -> any StackModule
    private var factories: [String: Factory] = [:]

    public init() {}

    public mutating func register(_ name: String, _ factory: @escaping Factory) {
        factories[name] = factory
    }

    func make(_ name: String, _ arguments: ModuleArguments) throws -> any StackModule {
        guard let factory = factories[name] else { throw arguments.error("unknown module '\(name)'") }
        return try factory(arguments)
    }
}

/// One service's stack, in file order.
public struct Stack: Sendable {
    public let service: String
    public let entries: [StackEntry]

    public func entries(_ facility: Facility) -> [StackEntry] { entries.filter { $0.facility == facility } }
}

/// Reads `config/stacks/<service>` files (README, "Writing a stack"):
/// `facility control module [key=value…]`, `#` comments, blank lines; control is `required`,
/// `requisite`, `sufficient`, `optional` or a bracket list such as `[success=done default=ignore]`.
public enum StackParser {
    public static func parse(_ text: String, service: String, file: String, registry: ModuleRegistry) throws -> Stack {
        var entries: [StackEntry] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let location = "\(file):\(index + 1)"
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let tokens = try tokenize(line, location: location)
            guard !tokens.isEmpty else { continue }
            guard tokens.count >= 3 else {
                throw StackConfigError(location, "expected: facility control module [arguments]")
            }
            guard let facility = Facility(rawValue: tokens[0]) else {
                throw StackConfigError(location, "unknown facility '\(tokens[0])' (auth or account)")
            }
            let control = try parseControl(tokens[1], location: location)
            var arguments: [String: String] = [:]
            for token in tokens.dropFirst(3) {
                guard let equals = token.firstIndex(of: "="), equals != token.startIndex else {
                    throw StackConfigError(location, "argument '\(token)' is not key=value")
                }
                let key = String(token[..<equals])
                guard arguments[key] == nil else { throw StackConfigError(location, "argument '\(key)' given twice") }
                arguments[key] = String(token[token.index(after: equals)...])
            }
            let module = try registry.make(tokens[2], ModuleArguments(arguments, location: location))
            entries.append(StackEntry(facility: facility, control: control, module: module, location: location))
        }
        return Stack(service: service, entries: entries)
    }

    /// Whitespace-separated tokens; a `[ … ]` control stays one token.
    static func tokenize(_ line: Substring, location: String) throws -> [String] {
        var tokens: [String] = []
        var bracket: String?
        for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
            if var open = bracket {
                open += " " + word
                bracket = open
                if word.hasSuffix("]") {
                    tokens.append(open)
                    bracket = nil
                }
            } else if word.hasPrefix("["), !word.hasSuffix("]") {
                bracket = String(word)
            } else {
                tokens.append(String(word))
            }
        }
        guard bracket == nil else { throw StackConfigError(location, "unterminated '[' in control") }
        return tokens
    }

    static func parseControl(_ token: String, location: String) throws -> StackControl {
        switch token {
        case "required": return .required
        case "requisite": return .requisite
        case "sufficient": return .sufficient
        case "optional": return .optional
        default: break
        }
        guard token.hasPrefix("["), token.hasSuffix("]") else {
            throw StackConfigError(location, "unknown control '\(token)'")
        }
        var actions: [String: StackAction] = [:]
        var defaultAction = StackAction.bad
        for pair in token.dropFirst().dropLast().split(separator: " ") {
            let parts = pair.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let action = StackAction(rawValue: String(parts[1])) else {
                throw StackConfigError(location, "bad control item '\(pair)' (value=ok|done|bad|die|ignore)")
            }
            let key = String(parts[0])
            if key == "default" {
                defaultAction = action
            } else if ModuleResult.kinds.contains(key) {
                actions[key] = action
            } else {
                throw StackConfigError(location, "unknown result '\(key)' in control")
            }
        }
        return StackControl(actions: actions, defaultAction: defaultAction)
    }
}
