import AuthConfig
import Configuration
import Foundation
import Synchronization
import Testing

/// config/authd.yaml is the configuration's documentation: every key authd reads is in it (set,
/// or commented out with its meaning), and every key in it is one authd reads. The keys read are
/// what the loader asks swift-configuration for, heard through an access reporter, so a key added
/// to the code without a line in the file (or left in the file after the code stopped reading
/// it) fails here.
@Suite("config/authd.yaml documents exactly the keys authd reads")
struct ConfigDocumentationTests {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let example = checkout.appendingPathComponent("config/authd.yaml").path

    /// The keys config/authd.yaml names, set or commented out (`# key: value`, a single value:
    /// prose with a colon is not a key): `section.key`, and `section.key.sub` one level deeper.
    static func documentedKeys() throws -> Set<String> {
        var keys: Set<String> = []
        var section = ""
        var parent = ""
        let line = /^(?<indent> *)(?:#(?<gap> +))?(?<name>[a-z][a-z0-9_]*):(?<value>.*)$/
        for text in try String(contentsOfFile: example, encoding: .utf8).split(separator: "\n") {
            guard let match = text.firstMatch(of: line) else { continue }
            let value = match.value.trimmingCharacters(in: .whitespaces)
            if match.gap != nil, value.contains(" "), !value.hasPrefix("\"") { continue }
            // A commented key sits where it would without the "# ".
            let column = match.indent.count + max(0, (match.gap?.count ?? 1) - 1)
            let name = String(match.name)
            switch column {
            case 0:
                (section, parent) = (name, "")
            case 2:
                parent = name
                keys.insert("\(section).\(name)")
            default:
                keys.insert("\(section).\(parent).\(name)")
            }
        }
        return keys
    }

    @Test("the keys read, with every optional part switched on, are the keys documented")
    func complete() async throws {
        let read = ConfigKeysRead()
        let base = [
            "AUTHD_DATABASE_URL": "host=127.0.0.1 dbname=authd", "AUTHD_JWT_SECRET": SettingsTests.goodSecret,
        ]
        // The parts whose keys are read only when they are on: the hook listeners (on unix
        // sockets, whose mode is read), RADIUS, LDAP, TOTP and mail.
        let optional = [
            "AUTHD_DOVECOT_AUTH_PATH": "/run/authd/dovecot-auth", "AUTHD_POSTFIX_POLICY_PATH": "/run/authd/policy",
            "AUTHD_SASLAUTHD_PATH": "/run/authd/saslauthd/mux", "AUTHD_MFA_KEY": "mfa-" + SettingsTests.goodSecret,
            "AUTHD_RADIUS_ADDR": "127.0.0.1:1812", "AUTHD_RADIUS_CLIENTS": "127.0.0.0/8=a shared secret of 32 bytes.",
            "AUTHD_LDAP_ADDR": "127.0.0.1:3389", "AUTHD_MAIL_TRANSPORT": "smtp", "AUTHD_MAIL_FROM": "a@example.com",
            "AUTHD_MAIL_SMTP_USERNAME": "relay", "AUTHD_MAIL_SMTP_PASSWORD": "relay password",
            "AUTHD_PASSWORD_BREACHED": "api", "AUTHD_WEBAUTHN_RP_ID": "localhost",
            "AUTHD_WEBAUTHN_ORIGINS": "http://localhost:5000",
        ]
        _ = try await Settings.load(configFile: Self.example, environment: base, accessReporter: read)
        _ = try await Settings.load(
            configFile: Self.example, environment: base.merging(optional) { $1 }, accessReporter: read)
        // Mail's other transport.
        _ = try await Settings.load(
            configFile: Self.example,
            environment: base.merging(["AUTHD_MAIL_TRANSPORT": "sendmail", "AUTHD_MAIL_FROM": "a@example.com"]) { $1 },
            accessReporter: read)
        // The breached-password check's local copy.
        _ = try await Settings.load(
            configFile: Self.example,
            environment: base.merging([
                "AUTHD_PASSWORD_BREACHED": "directory", "AUTHD_PASSWORD_BREACHED_DIRECTORY": "/tmp",
            ]) { $1 }, accessReporter: read)
        let keysRead = read.keys
        // A map (password.scrypt) is documented by its keys.
        let documented = try Self.documentedKeys().filter { key in
            keysRead.contains(key) || !keysRead.contains { $0.hasPrefix(key + ".") }
        }
        #expect(keysRead.subtracting(documented).sorted() == [], "read but not in config/authd.yaml")
        #expect(documented.subtracting(keysRead).sorted() == [], "in config/authd.yaml but never read")
        #expect(keysRead.count > 80, "\(keysRead.count) keys heard: the reporter hears the loader")
    }
}

extension ConfigDocumentationTests {
    @Test("the values config/authd.yaml sets are the defaults: the shipped file changes nothing")
    func shippedValuesAreDefaults() async throws {
        let base = [
            "AUTHD_DATABASE_URL": "host=127.0.0.1 dbname=authd", "AUTHD_JWT_SECRET": SettingsTests.goodSecret,
        ]
        let bare = try await Settings.load(configFile: nil, environment: base)
        let shipped = try await Settings.load(configFile: Self.example, environment: base)
        #expect(shipped.passwords.commonPasswords.count == bare.passwords.commonPasswords.count)
        // Everything else, field by field as Swift prints them (the keys' identities and the
        // common-password set, whose order varies, are the bare load's).
        let describe = { (settings: Settings) in
            var copy = settings
            copy.tokens.keyring = bare.tokens.keyring
            copy.passwords.commonPasswords = bare.passwords.commonPasswords
            return "\(copy)"
        }
        #expect(describe(shipped) == describe(bare))
    }
}
