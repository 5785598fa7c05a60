/// The attributes authd publishes, how their values compare, and the subschema entry that
/// describes them (RFC 4512 §4.2) for clients that read it.
public enum LDAPSchema {
    enum Matching {
        case caseIgnore
        case integer
        case distinguishedName
    }

    struct Attribute {
        var name: String
        var oid: String
        var matching: Matching
        var operational = false
        var syntax: String {
            switch matching {
            case .caseIgnore: "1.3.6.1.4.1.1466.115.121.1.15"
            case .integer: "1.3.6.1.4.1.1466.115.121.1.27"
            case .distinguishedName: "1.3.6.1.4.1.1466.115.121.1.12"
            }
        }
    }

    static let attributes: [Attribute] = [
        .init(name: "objectClass", oid: "2.5.4.0", matching: .caseIgnore),
        .init(name: "uid", oid: "0.9.2342.19200300.100.1.1", matching: .caseIgnore),
        .init(name: "cn", oid: "2.5.4.3", matching: .caseIgnore),
        .init(name: "sn", oid: "2.5.4.4", matching: .caseIgnore),
        .init(name: "displayName", oid: "2.16.840.1.113730.3.1.241", matching: .caseIgnore),
        .init(name: "mail", oid: "0.9.2342.19200300.100.1.3", matching: .caseIgnore),
        .init(name: "memberOf", oid: "1.2.840.113556.1.2.102", matching: .distinguishedName),
        .init(name: "uidNumber", oid: "1.3.6.1.1.1.1.0", matching: .integer),
        .init(name: "gidNumber", oid: "1.3.6.1.1.1.1.1", matching: .integer),
        .init(name: "homeDirectory", oid: "1.3.6.1.1.1.1.3", matching: .caseIgnore),
        .init(name: "loginShell", oid: "1.3.6.1.1.1.1.4", matching: .caseIgnore),
        .init(name: "member", oid: "2.5.4.31", matching: .distinguishedName),
        .init(name: "memberUid", oid: "1.3.6.1.1.1.1.12", matching: .caseIgnore),
        .init(name: "description", oid: "2.5.4.13", matching: .caseIgnore),
        .init(name: "ou", oid: "2.5.4.11", matching: .caseIgnore),
        .init(name: "o", oid: "2.5.4.10", matching: .caseIgnore),
        .init(name: "dc", oid: "0.9.2342.19200300.100.1.25", matching: .caseIgnore),
        .init(name: "entryUUID", oid: "1.3.6.1.1.16.4", matching: .caseIgnore, operational: true),
        .init(name: "createTimestamp", oid: "2.5.18.1", matching: .caseIgnore, operational: true),
        // The root DSE's, returned with the others (RFC 4512 has them operational; clients expect them).
        .init(name: "namingContexts", oid: "1.3.6.1.4.1.1466.101.120.5", matching: .distinguishedName),
        .init(name: "supportedLDAPVersion", oid: "1.3.6.1.4.1.1466.101.120.15", matching: .integer),
        .init(name: "supportedControl", oid: "1.3.6.1.4.1.1466.101.120.13", matching: .caseIgnore),
        .init(name: "supportedExtension", oid: "1.3.6.1.4.1.1466.101.120.7", matching: .caseIgnore),
        .init(name: "supportedSASLMechanisms", oid: "1.3.6.1.4.1.1466.101.120.14", matching: .caseIgnore),
        .init(name: "subschemaSubentry", oid: "2.5.18.10", matching: .distinguishedName),
        .init(name: "vendorName", oid: "1.3.6.1.1.4", matching: .caseIgnore),
        // The subschema entry's.
        .init(name: "attributeTypes", oid: "2.5.21.5", matching: .caseIgnore, operational: true),
        .init(name: "objectClasses", oid: "2.5.21.6", matching: .caseIgnore, operational: true),
        .init(name: "ldapSyntaxes", oid: "1.3.6.1.4.1.1466.101.120.16", matching: .caseIgnore, operational: true),
        .init(name: "matchingRules", oid: "2.5.21.4", matching: .caseIgnore, operational: true),
        .init(name: "matchingRuleUse", oid: "2.5.21.8", matching: .caseIgnore, operational: true),
        .init(name: "dITContentRules", oid: "2.5.21.2", matching: .caseIgnore, operational: true),
        .init(name: "dITStructureRules", oid: "2.5.21.1", matching: .caseIgnore, operational: true),
        .init(name: "nameForms", oid: "2.5.21.7", matching: .caseIgnore, operational: true),
        .init(name: "modifyTimestamp", oid: "2.5.18.2", matching: .caseIgnore, operational: true),
    ]

    static let byName: [String: Attribute] = Dictionary(
        uniqueKeysWithValues: attributes.map { ($0.name.lowercased(), $0) })

    static func isOperational(_ name: String) -> Bool { byName[name.lowercased()]?.operational ?? false }

    static let objectClasses = [
        "( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
        "( 1.3.6.1.4.1.1466.344 NAME 'dcObject' SUP top AUXILIARY MUST dc )",
        "( 2.5.6.4 NAME 'organization' SUP top STRUCTURAL MUST o )",
        "( 2.5.6.5 NAME 'organizationalUnit' SUP top STRUCTURAL MUST ou )",
        "( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) )",
        "( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL )",
        "( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL MAY ( mail $ uid $ displayName ) )",
        "( 1.3.6.1.1.1.2.0 NAME 'posixAccount' SUP top AUXILIARY MUST ( cn $ uid $ uidNumber $ gidNumber $ homeDirectory ) MAY loginShell )",
        "( 2.5.6.9 NAME 'groupOfNames' SUP top STRUCTURAL MUST cn MAY ( member $ description ) )",
        "( 1.3.6.1.1.1.2.2 NAME 'posixGroup' SUP top AUXILIARY MUST ( cn $ gidNumber ) MAY memberUid )",
        "( 2.5.20.1 NAME 'subschema' AUXILIARY MAY ( attributeTypes $ objectClasses $ ldapSyntaxes $ matchingRules ) )",
        "( 2.5.17.0 NAME 'subentry' SUP top STRUCTURAL MUST cn )",
    ]

    static func entry() -> LDAPEntry {
        let types = attributes.map { attribute in
            let equality =
                switch attribute.matching {
                case .caseIgnore: "caseIgnoreMatch"
                case .integer: "integerMatch"
                case .distinguishedName: "distinguishedNameMatch"
                }
            let usage = attribute.operational ? " NO-USER-MODIFICATION USAGE directoryOperation" : ""
            return
                "( \(attribute.oid) NAME '\(attribute.name)' EQUALITY \(equality) SYNTAX \(attribute.syntax)\(usage) )"
        }
        return LDAPEntry(
            dn: LDAPDirectory.schemaDN,
            attributes: [
                ("objectClass", ["top", "subentry", "subschema"]), ("cn", ["Subschema"]), ("attributeTypes", types),
                ("objectClasses", objectClasses),
            ])
    }
}
