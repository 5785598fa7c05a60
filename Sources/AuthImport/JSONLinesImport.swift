public import AuthCore
import Foundation

/// JSON lines: one object per line, `{"username": …, "email": …, "password_hash": …, "roles":
/// ["ops"], "disabled": false, "mfa": false}`; the first three required, the others optional
/// (`roles` also as one comma-separated string). An unknown key, a wrong type or a line that is not
/// one object skips that line, reported with its number.
public enum JSONLinesImport {
    static func source(_ lines: LineFile) -> ImportSource {
        ImportSource(lines: lines) { line in
            line.bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 } ? nil : record(line.bytes, line: line.number)
        }
    }

    /// One line as a record (also what `POST /admin/users/import` reads).
    public static func record(_ bytes: some Collection<UInt8>, line: Int) -> ImportItem {
        do {
            let row = try JSONDecoder().decode(Row.self, from: Data(bytes))
            return .success(
                ImportRecord(
                    line: line, username: row.username, email: row.email, passwordHash: row.passwordHash,
                    roles: row.roles, disabled: row.disabled, mfa: row.mfa))
        } catch let error as Row.Unknown {
            return ImportNotice.malformed(line, "unknown key \"\(error.key.prefix(64))\"")
        } catch DecodingError.keyNotFound(let key, _) {
            return ImportNotice.malformed(line, "\"\(key.stringValue)\" is missing")
        } catch DecodingError.typeMismatch(_, let context) {
            return ImportNotice.malformed(
                line, "\"\(context.codingPath.first?.stringValue ?? "the line")\" has the wrong type")
        } catch {
            return ImportNotice.malformed(line, "not a JSON object")
        }
    }

    struct Row: Decodable {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        struct Unknown: Error { let key: String }

        static let keys: Set<String> = ["username", "email", "password_hash", "roles", "disabled", "mfa"]
        var username: String
        var email: String
        var passwordHash: String
        var roles: [String] = []
        var disabled = false
        var mfa = false

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            if let unknown = container.allKeys.first(where: { !Self.keys.contains($0.stringValue) }) {
                throw Unknown(key: unknown.stringValue)
            }
            username = try container.decode(String.self, forKey: Key(stringValue: "username"))
            email = try container.decode(String.self, forKey: Key(stringValue: "email"))
            passwordHash = try container.decode(String.self, forKey: Key(stringValue: "password_hash"))
            let rolesKey = Key(stringValue: "roles")
            if let list = try? container.decodeIfPresent([String].self, forKey: rolesKey) {
                roles = list
            } else if let text = try container.decodeIfPresent(String.self, forKey: rolesKey) {
                roles = parseRoles(text)
            }
            disabled = try container.decodeIfPresent(Bool.self, forKey: Key(stringValue: "disabled")) ?? false
            mfa = try container.decodeIfPresent(Bool.self, forKey: Key(stringValue: "mfa")) ?? false
        }
    }
}
