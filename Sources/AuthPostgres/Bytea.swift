import AuthCrypto

/// `bytea` values travel as hex text (libpq's text format): `decode($1, 'hex')` going in,
/// `encode(column, 'hex')` coming out.
enum Bytea {
    static func hex(_ bytes: [UInt8]) -> String {
        Hex.encode(bytes)
    }

    /// Refuses what `encode(…, 'hex')` never returns rather than dropping digits.
    static func bytes(hex: String) throws(PostgresError) -> [UInt8] {
        guard let bytes = Hex.decode(hex) else { throw PostgresError(.protocolMismatch, "malformed hex bytea") }
        return bytes
    }
}
