-- Passkeys (WebAuthn, #36). A credential is kept by its ID with its COSE public key as the
-- authenticator sent it, its signature counter, its backup flags, the name its owner gave it, and
-- whether a counter that went backwards marked it suspect. A ceremony's challenge is kept as its
-- SHA-256 until it is answered once or expires, bound to whoever asked (a session or a browser).
CREATE TABLE webauthn_credentials (
    id              bytea       PRIMARY KEY CHECK (octet_length(id) BETWEEN 1 AND 1023),
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    public_key      bytea       NOT NULL CHECK (octet_length(public_key) <= 2048),
    sign_count      bigint      NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
    aaguid          bytea       NOT NULL CHECK (octet_length(aaguid) = 16),
    backup_eligible boolean     NOT NULL,
    backed_up       boolean     NOT NULL,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    suspect         boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz
);
CREATE INDEX webauthn_credentials_user_idx ON webauthn_credentials (user_id);

CREATE TABLE webauthn_challenges (
    hash       text        PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    ceremony   text        NOT NULL CHECK (ceremony IN ('registration', 'sign_in')),
    user_id    bigint      REFERENCES users (id) ON DELETE CASCADE,
    binding    text        NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX webauthn_challenges_expires_idx ON webauthn_challenges (expires_at);
