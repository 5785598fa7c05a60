/// Refuses secrets an attacker could guess: empty, short, low-variety or copied from an example.
/// HS256 tokens are only as strong as the JWT secret, sealed TOTP secrets as the MFA key.
public enum SecretPolicy {
    public static let minimumLength = 32

    /// Placeholders from documentation, tutorials and the Flask example this API descends from.
    static let knownExamples: Set<String> = [
        "secret", "changeme", "change-me", "change_me", "super-secret", "supersecret", "your-secret-key",
        "your_secret_key", "jwt-secret", "jwt_secret_key", "jwt-secret-string", "my-secret", "mysecret",
        "dev-secret", "development", "password", "default", "example", "test", "secret-key", "secret_key",
        "super-secret-key", "super_secret_key", "your-256-bit-secret", "your_jwt_secret_key",
        "replace-me-with-at-least-32-random-bytes",
    ]

    public static func validate(_ secret: [UInt8], name: String = "the JWT secret") throws(ConfigurationError) {
        guard !secret.isEmpty else {
            throw ConfigurationError("the JWT secret is missing: set AUTHD_JWT_SECRET_FILE or AUTHD_JWT_SECRET")
        }
        let text = String(decoding: secret, as: UTF8.self).lowercased()
        guard !knownExamples.contains(text), !text.contains("change-me"), !text.contains("changeme"),
            !text.contains("replace-me"), !text.contains("example")
        else {
            throw ConfigurationError(
                "\(name) is a published example value; generate one (openssl rand -base64 48)")
        }
        guard secret.count >= minimumLength else {
            throw ConfigurationError(
                "\(name) is \(secret.count) bytes; at least \(minimumLength) are required (openssl rand -base64 48)"
            )
        }
        guard Set(secret).count >= 8 else {
            throw ConfigurationError("\(name) repeats too few distinct bytes to be random")
        }
    }
}
