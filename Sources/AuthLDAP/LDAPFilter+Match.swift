extension LDAPFilter {
    /// Whether `entry` matches, in RFC 4511's three values: nil is Undefined (an attribute type
    /// authd does not publish, an assertion value its matching rule cannot read, an extensible
    /// match). A search returns only entries for which this is true.
    public func matches(_ entry: LDAPEntry) -> Bool? {
        switch self {
        case .and(let filters):
            var undefined = false
            for filter in filters {
                switch filter.matches(entry) {
                case false?: return false
                case nil: undefined = true
                case true?: break
                }
            }
            return undefined ? nil : true
        case .or(let filters):
            var undefined = false
            for filter in filters {
                switch filter.matches(entry) {
                case true?: return true
                case nil: undefined = true
                case false?: break
                }
            }
            return undefined ? nil : false
        case .not(let filter):
            return filter.matches(entry).map { !$0 }
        case .present(let type):
            return entry.values(type) != nil
        case .equal(let type, let value), .approximate(let type, let value):
            return Self.compare(entry, type, value) { $0 == $1 }
        case .greaterOrEqual(let type, let value):
            return Self.compare(entry, type, value) { $0 >= $1 }
        case .lessOrEqual(let type, let value):
            return Self.compare(entry, type, value) { $0 <= $1 }
        case .substrings(let type, let initial, let any, let final):
            guard let attribute = LDAPSchema.byName[type.lowercased()], attribute.matching == .caseIgnore else {
                return nil
            }
            return (entry.values(type) ?? []).contains { value in
                Self.substringsMatch(
                    value.lowercased(), initial?.lowercased(), any.map { $0.lowercased() }, final?.lowercased())
            }
        case .extensible:
            return nil
        }
    }

    /// The username an equality on `uid` names, alone or in an `and`: such a search reads one
    /// account instead of all, and no group.
    var impliedUsername: String? {
        switch self {
        case .equal(let type, let value) where type.lowercased() == "uid": value
        case .and(let filters): filters.lazy.compactMap(\.impliedUsername).first
        default: nil
        }
    }

    private enum Value: Comparable {
        case text(String)
        case number(Int64)
        case name(String)
    }

    private static func value(_ text: String, _ matching: LDAPSchema.Matching) -> Value? {
        switch matching {
        case .caseIgnore: .text(text.lowercased())
        case .integer: Int64(text).map(Value.number)
        case .distinguishedName:
            LDAPDistinguishedName(text).map { .name($0.rdns.map { "\($0.type)=\($0.value)" }.joined(separator: ",")) }
        }
    }

    private static func compare(_ entry: LDAPEntry, _ type: String, _ assertion: String, _ test: (Value, Value) -> Bool)
        -> Bool?
    {
        guard let attribute = LDAPSchema.byName[type.lowercased()],
            let asserted = value(assertion, attribute.matching)
        else { return nil }
        return (entry.values(type) ?? []).contains { held in
            value(held, attribute.matching).map { test($0, asserted) } ?? false
        }
    }

    private static func substringsMatch(_ value: String, _ initial: String?, _ any: [String], _ final: String?) -> Bool
    {
        var rest = Substring(value)
        if let initial {
            guard rest.hasPrefix(initial) else { return false }
            rest = rest.dropFirst(initial.count)
        }
        for part in any where !part.isEmpty {
            guard let found = rest.firstRange(of: part) else { return false }
            rest = rest[found.upperBound...]
        }
        if let final { return rest.hasSuffix(final) }
        return true
    }
}

extension LDAPEntry {
    /// The attributes a search asked for (RFC 4511 §4.5.1.8): none named or `*` for every user
    /// attribute, `+` for the operational ones, `1.1` for none, and those named.
    func selecting(_ requested: [String]) -> LDAPEntry {
        let names = Set(requested.map { $0.lowercased() })
        let user = names.isEmpty || names.contains("*")
        let operational = names.contains("+")
        var selected = self
        selected.attributes = attributes.filter { attribute in
            let name = attribute.name.lowercased()
            return names.contains(name) || (LDAPSchema.isOperational(name) ? operational : user)
        }
        return selected
    }
}
