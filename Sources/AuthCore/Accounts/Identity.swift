/// Rules for usernames and e-mail addresses, shared by every front end.
public enum Identity {
    /// 3 to 64 of `[A-Za-z0-9._-]`, starting with a letter or digit: safe in URLs, logs and the
    /// line protocol without escaping. Compared case-insensitively.
    public static func validUsername(_ raw: String) throws(AuthError) -> String {
        let bytes = raw.utf8
        guard (3...64).contains(bytes.count), bytes.allSatisfy(isUsernameByte), let first = bytes.first,
            isAlphanumeric(first)
        else {
            throw AuthError(
                .invalidInput,
                "username must be 3 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        return raw
    }

    /// A filter on the start of usernames: at most 64 of the characters usernames are made of, so
    /// that a prefix no username could have is an error rather than an always-empty page.
    public static func validUsernamePrefix(_ raw: String) throws(AuthError) -> String {
        guard raw.utf8.count <= 64, raw.utf8.allSatisfy(isUsernameByte) else {
            throw AuthError(.invalidInput, "prefix must be at most 64 letters, digits, '.', '_' or '-'")
        }
        return raw
    }

    /// What a person may sign in or ask for mail with: a username, else an e-mail address
    /// (normalised).
    /// A username has no `@`, so each login is tried as one kind only: the two cost alike, which
    /// `POST /password/forgot`'s timing depends on.
    public static func validLogin(_ raw: String) throws(AuthError) -> String {
        let login = raw.utf8.contains(UInt8(ascii: "@")) ? try? normalisedEmail(raw) : try? validUsername(raw)
        guard let login else { throw AuthError(.invalidInput, "login must be a username or an e-mail address") }
        return login
    }

    private static func isUsernameByte(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    /// Trimmed and lower-cased; one `@` with a non-empty local part and a dotted domain, no
    /// spaces or control characters, at most 254 characters (RFC 5321's limit). Checked on Unicode
    /// scalars, as JSON Schema patterns and `maxLength` see the text, not on grapheme clusters
    /// (where `"." + U+0301` would not count as a dot).
    public static func normalisedEmail(_ raw: String) throws(AuthError) -> String {
        // Lower-cased first: a lower-case mapping can be longer ("İ" is "i" + U+0307), and the
        // stored, lower-cased text is what the database's 254 counts.
        let lowered = raw.trimmingASCIIWhitespace().lowercased()
        let scalars = Array(lowered.unicodeScalars)
        let parts = scalars.split(separator: "@", omittingEmptySubsequences: false)
        let labels = parts.count == 2 ? parts[1].split(separator: ".", omittingEmptySubsequences: false) : []
        guard scalars.count <= 254, parts.count == 2, !parts[0].isEmpty, labels.count >= 2,
            !labels.contains(where: \.isEmpty), scalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
        else {
            throw AuthError(.invalidInput, "email is not a valid address")
        }
        return lowered
    }

    /// Client-provided free text (a User-Agent) as the database can store it: at most `limit`
    /// Unicode scalars, the unit of PostgreSQL's `char_length` (a `Character` can be many), and
    /// without NUL, which a text column cannot hold.
    public static func storable(_ text: String, maximumScalars limit: Int) -> String {
        var out = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars where scalar.value != 0 {
            guard count < limit else { break }
            out.append(scalar)
            count += 1
        }
        return String(out)
    }

    /// Service names select stack files (`config/stacks/<service>`): 1–32 of `[a-z0-9_-]`.
    public static func isServiceName(_ name: some StringProtocol) -> Bool {
        (1...32).contains(name.utf8.count)
            && name.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
            }
    }

    /// `lengths` characters of `[A-Za-z0-9_-]`, unpadded URL-safe base64: what refresh tokens,
    /// token and session ids are made of (and user ids, in decimal, fit).
    public static func isBase64URL(_ text: String, lengths: ClosedRange<Int>) -> Bool {
        lengths.contains(text.utf8.count)
            && text.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// ASCII letter or digit.
    public static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

extension String {
    /// Without leading and trailing spaces, tabs, CRs and LFs (scalars, so a space carrying a
    /// combining mark is not taken for a plain space).
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !isSpace($0) }),
            let end = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(scalars[start...end])
    }
}
